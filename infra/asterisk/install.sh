#!/usr/bin/env bash
# Sets up a telephony host: Asterisk with the campaign configuration, and
# the asterisk-bridge daemon under systemd. The EC2 user data
# (infra/modules/telephony-host/user_data.sh.tftpl) runs it as root:
#
#   install.sh --env-file /etc/campaign/bridge.env
#
# Running it again (a new bundle, a changed trunk) is safe.
#
#   --env-file FILE   KEY=VALUE lines (no quoting; blank lines and # comments
#                     ignored) for the settings below; a key it does not know
#                     is refused (a misspelt setting must not pass unseen).
#                     The file's values win over the environment's.
#   --dry-run         check every setting and the configuration files, print
#                     what would be done, and change nothing (no packages, no
#                     AWS calls, no instance metadata, no files outside a
#                     temporary directory). tests/offline/test_telephony_install.py
#                     runs it on the user data's rendered settings.
#
# Required:
#   TRUNK_HOST                 carrier SIP host (name or IP)
#   TRUNK_MATCH                carrier signalling IPs/CIDRs, comma-separated
#   ARI_CREDENTIALS_SECRET_ID  Secrets Manager id of {"username","password"};
#                              Terraform creates it empty and the first run
#                              here fills it with a generated password
#   ORIGINATE_QUEUE_URL, CALL_EVENTS_TOPIC_ARN, DONATION_EVENTS_TOPIC_ARN,
#   OPTOUT_EVENTS_TOPIC_ARN    the application's queue and topics
#   BRIDGE_BINARY or BRIDGE_BINARY_URL
#                              the built asterisk-bridge (aarch64/x86_64 per
#                              host): a path on this host (the telephony
#                              bundle's) or an s3:// URL
# Optional:
#   TRUNK_PORT (5060), EXTERNAL_IP (from instance metadata), LOCAL_NET
#   (the VPC CIDR, default 10.0.0.0/8), CAMPAIGN_TABLE_PREFIX (campaign-),
#   ARI_APP (voice-campaign), ARI_ENDPOINT_TEMPLATE (PJSIP/{digits}@trunk),
#   BRIDGE_CALLER_ID, BRIDGE_MAX_CHANNELS (200), BRIDGE_AMD_CONTEXT
#   (campaign-amd to run AMD), BRIDGE_HOST_ID (the instance id),
#   BRIDGE_DRAIN_SECS (900), AWS_REGION (from instance metadata), RUST_LOG.
#
# Secrets: the ARI password is read from Secrets Manager at install time and
# written only to /etc/asterisk/ari.conf (mode 0640, owner asterisk).
set -euo pipefail
# "&" in a replacement must stay literal (bash 5.2 would insert the match).
shopt -u patsub_replacement 2>/dev/null || true

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

REQUIRED=(TRUNK_HOST TRUNK_MATCH ARI_CREDENTIALS_SECRET_ID ORIGINATE_QUEUE_URL
  CALL_EVENTS_TOPIC_ARN DONATION_EVENTS_TOPIC_ARN OPTOUT_EVENTS_TOPIC_ARN)
OPTIONAL=(BRIDGE_BINARY BRIDGE_BINARY_URL TRUNK_PORT EXTERNAL_IP LOCAL_NET
  CAMPAIGN_TABLE_PREFIX ARI_APP ARI_ENDPOINT_TEMPLATE BRIDGE_CALLER_ID
  BRIDGE_MAX_CHANNELS BRIDGE_AMD_CONTEXT BRIDGE_HOST_ID BRIDGE_DRAIN_SECS
  AWS_REGION RUST_LOG)
CONFIG_FILES=(pjsip.conf extensions.conf ari.conf http.conf amd.conf rtp.conf)

usage() {
  echo "usage: install.sh [--env-file FILE] [--dry-run]" >&2
  exit 64
}

# Exit 64 (EX_USAGE): a setting is missing or malformed.
bad() {
  echo "install.sh: $*" >&2
  exit 64
}

known() {
  local key="$1" k
  for k in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do
    [[ "$k" == "$key" ]] && return 0
  done
  return 1
}

# Reads KEY=VALUE lines literally (nothing is evaluated) and exports them.
load_env_file() {
  local file="$1" line key value n=0
  [[ -r "$file" ]] || bad "cannot read the env file $file"
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    [[ -z "${line//[[:space:]]/}" || "$line" =~ ^[[:space:]]*# ]] && continue
    [[ "$line" =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || bad "$file:$n: not KEY=VALUE"
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    known "$key" || bad "$file:$n: unknown setting $key (settings: ${REQUIRED[*]} ${OPTIONAL[*]})"
    export "$key=$value"
  done <"$file"
}

DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env-file)
      [[ $# -ge 2 ]] || usage
      load_env_file "$2"
      shift 2
      ;;
    --env-file=*)
      load_env_file "${1#--env-file=}"
      shift
      ;;
    --dry-run)
      DRY_RUN=1
      shift
      ;;
    *) usage ;;
  esac
done

# ---------------------------------------------------------------- checks

for v in "${REQUIRED[@]}"; do
  [[ -n "${!v:-}" ]] || bad "$v is not set"
done

TRUNK_PORT="${TRUNK_PORT:-5060}"
LOCAL_NET="${LOCAL_NET:-10.0.0.0/8}"
ARI_APP="${ARI_APP:-voice-campaign}"
CAMPAIGN_TABLE_PREFIX="${CAMPAIGN_TABLE_PREFIX:-campaign-}"
ARI_ENDPOINT_TEMPLATE="${ARI_ENDPOINT_TEMPLATE:-PJSIP/{digits\}@trunk}"
BRIDGE_MAX_CHANNELS="${BRIDGE_MAX_CHANNELS:-200}"
BRIDGE_DRAIN_SECS="${BRIDGE_DRAIN_SECS:-900}"
RUST_LOG="${RUST_LOG:-info}"

ipv4='([0-9]{1,3}\.){3}[0-9]{1,3}'
matches() { [[ "$1" =~ $2 ]]; }
matches "$TRUNK_HOST" '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' ||
  bad "TRUNK_HOST must be a host name or IPv4 address, not '$TRUNK_HOST'"
matches "$TRUNK_PORT" '^[0-9]{1,5}$' && ((10#$TRUNK_PORT >= 1 && 10#$TRUNK_PORT <= 65535)) ||
  bad "TRUNK_PORT must be a port number, not '$TRUNK_PORT'"
IFS=, read -r -a trunk_match <<<"$TRUNK_MATCH"
[[ ${#trunk_match[@]} -gt 0 ]] || bad "TRUNK_MATCH lists no address"
for m in "${trunk_match[@]}"; do
  matches "$m" "^${ipv4}(/[0-9]{1,2})?\$" ||
    bad "TRUNK_MATCH must be comma-separated IPv4 addresses or CIDRs, not '$m'"
done
matches "$LOCAL_NET" "^${ipv4}/[0-9]{1,2}\$" || bad "LOCAL_NET must be a CIDR, not '$LOCAL_NET'"
[[ -z "${EXTERNAL_IP:-}" ]] || matches "$EXTERNAL_IP" "^${ipv4}\$" ||
  bad "EXTERNAL_IP must be an IPv4 address, not '$EXTERNAL_IP'"
matches "$ORIGINATE_QUEUE_URL" '^https://sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[0-9]{12}/[A-Za-z0-9_-]+$' ||
  bad "ORIGINATE_QUEUE_URL must be an SQS queue URL, not '$ORIGINATE_QUEUE_URL'"
for v in CALL_EVENTS_TOPIC_ARN DONATION_EVENTS_TOPIC_ARN OPTOUT_EVENTS_TOPIC_ARN; do
  matches "${!v}" '^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$' ||
    bad "$v must be an SNS topic ARN, not '${!v}'"
done
matches "$ARI_CREDENTIALS_SECRET_ID" '^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:)?[A-Za-z0-9/_+=.@-]+$' ||
  bad "ARI_CREDENTIALS_SECRET_ID must be a Secrets Manager name or ARN, not '$ARI_CREDENTIALS_SECRET_ID'"
matches "$ARI_APP" '^[A-Za-z0-9_-]+$' || bad "ARI_APP must be a word, not '$ARI_APP'"
matches "$CAMPAIGN_TABLE_PREFIX" '^[A-Za-z0-9_.-]+$' ||
  bad "CAMPAIGN_TABLE_PREFIX must be a table name prefix, not '$CAMPAIGN_TABLE_PREFIX'"
for v in BRIDGE_MAX_CHANNELS BRIDGE_DRAIN_SECS; do
  matches "${!v}" '^[1-9][0-9]*$' || bad "$v must be a positive whole number, not '${!v}'"
done
[[ -z "${AWS_REGION:-}" ]] || matches "$AWS_REGION" '^[a-z]{2}(-[a-z]+)+-[0-9]$' ||
  bad "AWS_REGION must be a region name, not '$AWS_REGION'"
if [[ -n "${BRIDGE_BINARY:-}" && -n "${BRIDGE_BINARY_URL:-}" ]]; then
  bad "set BRIDGE_BINARY or BRIDGE_BINARY_URL, not both"
elif [[ -n "${BRIDGE_BINARY:-}" ]]; then
  [[ "$BRIDGE_BINARY" == /* ]] || bad "BRIDGE_BINARY must be an absolute path, not '$BRIDGE_BINARY'"
elif [[ -n "${BRIDGE_BINARY_URL:-}" ]]; then
  matches "$BRIDGE_BINARY_URL" '^s3://[a-z0-9.-]+/.+$' ||
    bad "BRIDGE_BINARY_URL must be an s3:// URL, not '$BRIDGE_BINARY_URL'"
else
  bad "BRIDGE_BINARY (a path) or BRIDGE_BINARY_URL (s3://) is not set"
fi
for f in "${CONFIG_FILES[@]}" asterisk-bridge.service; do
  [[ -r "$HERE/$f" ]] || bad "$HERE/$f is missing from the bundle"
done

# Replaces @@NAME@@ with the value of $NAME (values may hold / & and |) and
# prints the result; fails if a placeholder is left.
render() {
  local src="$1" text name value
  text="$(cat "$src")"
  for name in EXTERNAL_IP LOCAL_NET TRUNK_HOST TRUNK_PORT TRUNK_MATCH ARI_APP ARI_USER ARI_PASSWORD; do
    value="${!name}"
    text="${text//@@${name}@@/$value}"
  done
  if grep -q '@@[A-Z_]*@@' <<<"$text"; then
    echo "install.sh: $src still has a placeholder: $(grep -o '@@[A-Z_]*@@' <<<"$text" | sort -u | tr '\n' ' ')" >&2
    exit 65
  fi
  printf '%s\n' "$text"
}

if [[ "$DRY_RUN" == 1 ]]; then
  # The configuration files rendered with stand-in values for what only the
  # machine knows, into a directory that is removed again.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  EXTERNAL_IP="${EXTERNAL_IP:-203.0.113.1}" ARI_USER=dry-run ARI_PASSWORD=dry-run
  for f in "${CONFIG_FILES[@]}"; do
    render "$HERE/$f" >"$scratch/$f"
  done
  echo "install.sh --dry-run: settings checked; nothing was changed. It would:"
  echo "  - install the packages asterisk, jq, curl (and the AWS CLI if absent)"
  echo "  - take EXTERNAL_IP, AWS_REGION and BRIDGE_HOST_ID from the environment or instance metadata (IMDSv2)"
  echo "  - read the ARI credentials from $ARI_CREDENTIALS_SECRET_ID (generating and storing them if it has no value yet)"
  echo "  - write /etc/asterisk/{$(IFS=,; echo "${CONFIG_FILES[*]}")} (trunk $TRUNK_HOST:$TRUNK_PORT, carrier $TRUNK_MATCH, local net $LOCAL_NET) and restart asterisk"
  echo "  - install the bridge from ${BRIDGE_BINARY:-$BRIDGE_BINARY_URL} as /usr/local/bin/asterisk-bridge"
  echo "  - write /etc/asterisk-bridge/env (queue $ORIGINATE_QUEUE_URL, tables $CAMPAIGN_TABLE_PREFIX*, $BRIDGE_MAX_CHANNELS channels) and restart asterisk-bridge"
  exit 0
fi

[[ "$(id -u)" == 0 ]] || bad "run as root (or with --dry-run)"

# ---------------------------------------------------------------- install

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
apt-get install -y -q asterisk jq curl
# Ubuntu 24.04 packages no AWS CLI (the user data installs the snap).
command -v aws >/dev/null || snap install aws-cli --classic

echo "== ARI credentials"
# Terraform creates the secret without a value (no password in its state);
# the first run generates one here, later runs reuse it. To rotate: put a new
# {"username","password"} and run this script again.
if ! aws secretsmanager describe-secret --secret-id "$ARI_CREDENTIALS_SECRET_ID" --output json |
  jq -e '[(.VersionIdsToStages // {})[] | .[]] | index("AWSCURRENT") != null' >/dev/null; then
  echo "the ARI secret has no value yet: generating one"
  new_secret="$(mktemp)" # mode 0600: the password never appears on a command line
  jq -n --arg u campaign-bridge --arg p "$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)" \
    '{username: $u, password: $p}' >"$new_secret"
  aws secretsmanager put-secret-value --secret-id "$ARI_CREDENTIALS_SECRET_ID" \
    --secret-string "file://$new_secret" >/dev/null
  rm -f "$new_secret"
fi
secret="$(aws secretsmanager get-secret-value --secret-id "$ARI_CREDENTIALS_SECRET_ID" \
  --query SecretString --output text)"
ARI_USER="$(jq -r .username <<<"$secret")"
ARI_PASSWORD="$(jq -r .password <<<"$secret")"
unset secret
if [[ -z "$ARI_USER" || "$ARI_USER" == null || -z "$ARI_PASSWORD" || "$ARI_PASSWORD" == null ]]; then
  echo "install.sh: the ARI secret must be {\"username\": ..., \"password\": ...}" >&2
  exit 65
fi

echo "== Asterisk configuration"
for f in "${CONFIG_FILES[@]}"; do
  text="$(render "$HERE/$f")"
  install -m 0640 -o root -g asterisk /dev/null "/etc/asterisk/$f"
  printf '%s\n' "$text" >"/etc/asterisk/$f"
done
unset ARI_PASSWORD text
systemctl enable asterisk
systemctl restart asterisk

echo "== the bridge"
id asterisk-bridge >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin asterisk-bridge
tmp="$(mktemp)"
if [[ -n "${BRIDGE_BINARY:-}" ]]; then
  cp "$BRIDGE_BINARY" "$tmp"
else
  aws s3 cp "$BRIDGE_BINARY_URL" "$tmp"
fi
install -m 0755 -o root -g root "$tmp" /usr/local/bin/asterisk-bridge
rm -f "$tmp"
install -d -m 0750 -o root -g asterisk-bridge /etc/asterisk-bridge
{
  echo "AWS_REGION=$AWS_REGION"
  echo "ORIGINATE_QUEUE_URL=$ORIGINATE_QUEUE_URL"
  echo "CALL_EVENTS_TOPIC_ARN=$CALL_EVENTS_TOPIC_ARN"
  echo "DONATION_EVENTS_TOPIC_ARN=$DONATION_EVENTS_TOPIC_ARN"
  echo "OPTOUT_EVENTS_TOPIC_ARN=$OPTOUT_EVENTS_TOPIC_ARN"
  echo "CAMPAIGN_TABLE_PREFIX=$CAMPAIGN_TABLE_PREFIX"
  echo "ARI_URL=http://127.0.0.1:8088/ari"
  echo "ARI_APP=$ARI_APP"
  echo "ARI_CREDENTIALS_SECRET_ID=$ARI_CREDENTIALS_SECRET_ID"
  echo "ARI_ENDPOINT_TEMPLATE=$ARI_ENDPOINT_TEMPLATE"
  echo "BRIDGE_CALLER_ID=${BRIDGE_CALLER_ID:-}"
  echo "BRIDGE_MAX_CHANNELS=$BRIDGE_MAX_CHANNELS"
  echo "BRIDGE_AMD_CONTEXT=${BRIDGE_AMD_CONTEXT:-}"
  echo "BRIDGE_HOST_ID=$BRIDGE_HOST_ID"
  echo "BRIDGE_DRAIN_SECS=$BRIDGE_DRAIN_SECS"
  echo "RUST_LOG=$RUST_LOG"
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
