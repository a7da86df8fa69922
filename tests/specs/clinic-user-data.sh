#!/bin/bash
# Starts the clinic app on port 8080 (the spec's app_port) and answers /health, within the
# Auto Scaling group's 300-second grace period. Referenced by new_region.yaml.
set -euo pipefail

install -d -m 0755 /opt/clinic
echo "ok" > /opt/clinic/health

cat > /etc/systemd/system/clinic.service <<'EOT'
[Unit]
Description=clinic app
After=network-online.target

[Service]
WorkingDirectory=/opt/clinic
ExecStart=/usr/bin/python3 -m http.server 8080 --bind 0.0.0.0
Restart=always

[Install]
WantedBy=multi-user.target
EOT

systemctl daemon-reload
systemctl enable --now clinic.service
echo "clinic app started on ${HOSTNAME:-unknown}"
