#!/usr/bin/env bash
# Sets up a telephony host: Asterisk with the campaign configuration, and
# the asterisk-bridge daemon under systemd. The EC2 user data runs it as
# root with the settings below in its environment; running it again
# (a new bridge build, a changed trunk) is safe.
#
# Required:
#   TRUNK_HOST                 carrier SIP host (name or IP)
#   TRUNK_MATCH                carrier signalling IPs/CIDRs, comma-separated
#   ARI_CREDENTIALS_SECRET_ID  Secrets Manager id of {"username","password"}
#   ORIGINATE_QUEUE_URL, CALL_EVENTS_TOPIC_ARN, DONATION_EVENTS_TOPIC_ARN,
#   OPTOUT_EVENTS_TOPIC_ARN    the application's queue and topics
#   BRIDGE_BINARY_URL          s3://... of the built asterisk-bridge (aarch64/x86_64 per host)
# Optional:
#   TRUNK_PORT (5060), EXTERNAL_IP (from instance metadata), LOCAL_NET
#   (the VPC CIDR, default 10.0.0.0/8), CAMPAIGN_TABLE_PREFIX (campaign-),
#   ARI_APP (voice-campaign), ARI_ENDPOINT_TEMPLATE (PJSIP/{digits}@trunk),
#   BRIDGE_CALLER_ID, BRIDGE_MAX_CHANNELS (200), BRIDGE_AMD_CONTEXT
#   (campaign-amd to run AMD), BRIDGE_DRAIN_SECS (900), AWS_REGION.
#
# Secrets: the ARI password is read from Secrets Manager at install time and
# written only to /etc/asterisk/ari.conf (mode 0640, owner asterisk).
set -euo pipefail
# "&" in a replacement must stay literal (bash 5.2 would insert the match).
shopt -u patsub_replacement 2>/dev/null || true

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need() {
  local name="$1"
  if [[ -z "${!name:-}" ]]; then
    echo "install.sh: $name is not set" >&2
    exit 64
  fi
}
for v in TRUNK_HOST TRUNK_MATCH ARI_CREDENTIALS_SECRET_ID ORIGINATE_QUEUE_URL \
  CALL_EVENTS_TOPIC_ARN DONATION_EVENTS_TOPIC_ARN OPTOUT_EVENTS_TOPIC_ARN BRIDGE_BINARY_URL; do
  need "$v"
done

TRUNK_PORT="${TRUNK_PORT:-5060}"
LOCAL_NET="${LOCAL_NET:-10.0.0.0/8}"
ARI_APP="${ARI_APP:-voice-campaign}"

imds() {
  # IMDSv2: a session token first.
  local token
  token="$(curl -fsS -m 2 -X PUT http://169.254.169.254/latest/api/token \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')" || return 1
  curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
EXTERNAL_IP="${EXTERNAL_IP:-$(imds public-ipv4 || true)}"
if [[ -z "$EXTERNAL_IP" ]]; then
  echo "install.sh: EXTERNAL_IP is not set and instance metadata has no public IPv4" >&2
  exit 64
fi
AWS_REGION="${AWS_REGION:-$(imds placement/region || echo us-east-1)}"
export AWS_REGION
BRIDGE_HOST_ID="${BRIDGE_HOST_ID:-$(imds instance-id || hostname)}"

echo "== packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q asterisk awscli jq curl

echo "== ARI credentials"
secret="$(aws secretsmanager get-secret-value --secret-id "$ARI_CREDENTIALS_SECRET_ID" \
  --query SecretString --output text)"
ARI_USER="$(jq -r .username <<<"$secret")"
ARI_PASSWORD="$(jq -r .password <<<"$secret")"
unset secret
if [[ -z "$ARI_USER" || "$ARI_USER" == null || -z "$ARI_PASSWORD" || "$ARI_PASSWORD" == null ]]; then
  echo "install.sh: the ARI secret must be {\"username\": ..., \"password\": ...}" >&2
  exit 65
fi

# Replaces @@NAME@@ with the value of $NAME (values may hold / & and |).
render() {
  local src="$1" dst="$2" text name value
  text="$(cat "$src")"
  for name in EXTERNAL_IP LOCAL_NET TRUNK_HOST TRUNK_PORT TRUNK_MATCH ARI_APP ARI_USER ARI_PASSWORD; do
    value="${!name}"
    text="${text//@@${name}@@/$value}"
  done
  if grep -q '@@[A-Z_]*@@' <<<"$text"; then
    echo "install.sh: $src still has a placeholder" >&2
    exit 65
  fi
  install -m 0640 -o root -g asterisk /dev/null "$dst"
  printf '%s\n' "$text" >"$dst"
}

echo "== Asterisk configuration"
for f in pjsip.conf extensions.conf ari.conf http.conf amd.conf rtp.conf; do
  render "$HERE/$f" "/etc/asterisk/$f"
done
unset ARI_PASSWORD
systemctl enable asterisk
systemctl restart asterisk

echo "== the bridge"
id asterisk-bridge >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin asterisk-bridge
tmp="$(mktemp)"
aws s3 cp "$BRIDGE_BINARY_URL" "$tmp"
install -m 0755 -o root -g root "$tmp" /usr/local/bin/asterisk-bridge
rm -f "$tmp"
install -d -m 0750 -o root -g asterisk-bridge /etc/asterisk-bridge
{
  echo "AWS_REGION=$AWS_REGION"
  echo "ORIGINATE_QUEUE_URL=$ORIGINATE_QUEUE_URL"
  echo "CALL_EVENTS_TOPIC_ARN=$CALL_EVENTS_TOPIC_ARN"
  echo "DONATION_EVENTS_TOPIC_ARN=$DONATION_EVENTS_TOPIC_ARN"
  echo "OPTOUT_EVENTS_TOPIC_ARN=$OPTOUT_EVENTS_TOPIC_ARN"
  echo "CAMPAIGN_TABLE_PREFIX=${CAMPAIGN_TABLE_PREFIX:-campaign-}"
  echo "ARI_URL=http://127.0.0.1:8088/ari"
  echo "ARI_APP=$ARI_APP"
  echo "ARI_CREDENTIALS_SECRET_ID=$ARI_CREDENTIALS_SECRET_ID"
  echo "ARI_ENDPOINT_TEMPLATE=${ARI_ENDPOINT_TEMPLATE:-PJSIP/{digits}@trunk}"
  echo "BRIDGE_CALLER_ID=${BRIDGE_CALLER_ID:-}"
  echo "BRIDGE_MAX_CHANNELS=${BRIDGE_MAX_CHANNELS:-200}"
  echo "BRIDGE_AMD_CONTEXT=${BRIDGE_AMD_CONTEXT:-}"
  echo "BRIDGE_HOST_ID=$BRIDGE_HOST_ID"
  echo "BRIDGE_DRAIN_SECS=${BRIDGE_DRAIN_SECS:-900}"
  echo "RUST_LOG=${RUST_LOG:-info}"
} >/etc/asterisk-bridge/env
chmod 0640 /etc/asterisk-bridge/env
chgrp asterisk-bridge /etc/asterisk-bridge/env
install -m 0644 "$HERE/asterisk-bridge.service" /etc/systemd/system/asterisk-bridge.service
systemctl daemon-reload
systemctl enable asterisk-bridge
systemctl restart asterisk-bridge

echo "== checks"
sleep 2
asterisk -rx 'pjsip show endpoint trunk' | head -n 20 || true
asterisk -rx 'ari show apps' || true
systemctl --no-pager status asterisk-bridge | head -n 5 || true
echo "install.sh: done"
