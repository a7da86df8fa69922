#!/bin/bash
echo "[2Kstart"
