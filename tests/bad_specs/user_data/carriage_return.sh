#!/bin/bash
echo startrm -rf /srv/app
