#!/bin/bash
echo start
