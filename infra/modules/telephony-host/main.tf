# The Asterisk telephony host: one EC2 instance in a public subnet with an
# Elastic IP (the address the SIP carrier allow-lists), SIP and RTP open only
# to the carrier's networks, no SSH (Session Manager instead), IMDSv2 only,
# an encrypted root volume, and an instance profile limited to the originate
# queue, the event topics, its ARI credentials and what the bridge reads. Its
# user data installs Asterisk and the bridge by running infra/asterisk/install.sh
# from the telephony bundle (README, "Deploying a stage").
#
# The queue and topics belong to the SAM stack; their names are fixed by the
# shared prefix, so this policy can name them before the stack exists.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  arn_prefix = "arn:${local.partition}"

  originate_queue_arn = "${local.arn_prefix}:sqs:${local.region}:${local.account_id}:${var.name_prefix}originate"
  originate_queue_url = "https://sqs.${local.region}.amazonaws.com/${local.account_id}/${var.name_prefix}originate"
  event_topic_arns = {
    for topic in ["call-events", "donation-events", "optout-events"] :
    topic => "${local.arn_prefix}:sns:${local.region}:${local.account_id}:${var.name_prefix}${topic}"
  }
  table_arn = {
    for table in ["campaigns", "contacts", "blacklist", "counters"] :
    table => "${local.arn_prefix}:dynamodb:${local.region}:${local.account_id}:table/${var.table_prefix}${table}"
  }
  counters_table_arn = local.table_arn["counters"]
  # The bridge's items in the counters table, by partition key
  # (shared/aws/src/dynamodb/counters.rs: `counter#`, `seen#`, `slots#`):
  # its load reports, and the per-call claim and placed mark.
  bridge_counter_keys = [
    "counter#${var.health_key_prefix}*",
    "seen#${var.health_key_prefix}*",
    "slots#bridge-originate/*",
    "seen#bridge-placed/*",
  ]
}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

# ------------------------------------------------------------ network access

resource "aws_security_group" "host" {
  name_prefix = "${var.name_prefix}telephony-"
  description = "Asterisk: SIP and RTP from the carrier only; no inbound administration (Session Manager)"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "sip_udp" {
  for_each = toset(var.carrier_cidrs)

  security_group_id = aws_security_group.host.id
  description       = "SIP signalling (UDP) from the carrier"
  cidr_ipv4         = each.value
  ip_protocol       = "udp"
  from_port         = 5060
  to_port           = 5060
}

resource "aws_vpc_security_group_ingress_rule" "sip_tcp_tls" {
  for_each = toset(var.carrier_cidrs)

  security_group_id = aws_security_group.host.id
  description       = "SIP signalling over TCP (5060) and TLS (5061) from the carrier"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 5060
  to_port           = 5061
}

resource "aws_vpc_security_group_ingress_rule" "rtp" {
  for_each = toset(var.carrier_cidrs)

  security_group_id = aws_security_group.host.id
  description       = "RTP media from the carrier (rtp.conf: 10000-20000)"
  cidr_ipv4         = each.value
  ip_protocol       = "udp"
  from_port         = 10000
  to_port           = 20000
}

resource "aws_vpc_security_group_egress_rule" "sip_and_rtp" {
  for_each = {
    for pair in setproduct(var.carrier_cidrs, [["udp", 5060, 5060], ["tcp", 5060, 5061], ["udp", 10000, 20000]]) :
    "${pair[0]}-${pair[1][0]}-${pair[1][1]}" => { cidr = pair[0], protocol = pair[1][0], from = pair[1][1], to = pair[1][2] }
  }

  security_group_id = aws_security_group.host.id
  description       = "SIP and RTP to the carrier"
  cidr_ipv4         = each.value.cidr
  ip_protocol       = each.value.protocol
  from_port         = each.value.from
  to_port           = each.value.to
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.host.id
  description       = "HTTPS to AWS APIs (SQS, SNS, Secrets Manager, Session Manager) and package mirrors; no NAT gateway, no interface endpoints"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "http_packages" {
  security_group_id = aws_security_group.host.id
  description       = "HTTP to the distribution's package mirrors (signed packages)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

# ------------------------------------------------------------ identity

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "host" {
  name_prefix        = "${var.name_prefix}telephony-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "session_manager" {
  role       = aws_iam_role.host.name
  policy_arn = "${local.arn_prefix}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "host" {
  statement {
    sid = "OriginateCommands"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [local.originate_queue_arn]
  }

  statement {
    sid       = "CallDonationOptOutEvents"
    actions   = ["sns:Publish"]
    resources = values(local.event_topic_arns)
  }

  # install.sh fills the empty secret Terraform made with a generated
  # password on the first run (so no password is in the Terraform state);
  # the bridge reads it at start.
  statement {
    sid = "AriCredentials"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]
    resources = [var.ari_credentials_secret_arn]
  }

  statement {
    sid     = "AudioAndSpeechToPlay"
    actions = ["s3:GetObject"]
    resources = [
      "${var.audio_bucket_arn}/*",
      "${var.tts_cache_bucket_arn}/*",
      "${var.artifacts_bucket_arn}/telephony/*",
    ]
  }

  # The bridge reports its load where the dialer-worker's adaptive pacing
  # reads it, and claims each call id before it dials (exactly once across
  # hosts): items of the counters table under those key prefixes only. The
  # claim is a transaction (put, update, delete) and a query of its holders.
  statement {
    sid = "HostHealthAndCallClaims"
    actions = [
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
    ]
    resources = [local.counters_table_arn]
    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = local.bridge_counter_keys
    }
  }

  # The re-check before dialling (README, Telephony): the command's
  # campaign, its contact and the do-not-call entry of its number. Reads
  # only, by key.
  statement {
    sid     = "RecheckBeforeDialling"
    actions = ["dynamodb:GetItem", "dynamodb:BatchGetItem"]
    resources = [
      local.table_arn["campaigns"],
      local.table_arn["contacts"],
      local.table_arn["blacklist"],
    ]
  }

  statement {
    sid       = "EncryptedQueueTopicsBuckets"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "host" {
  role   = aws_iam_role.host.id
  policy = data.aws_iam_policy_document.host.json
}

resource "aws_iam_instance_profile" "host" {
  name_prefix = "${var.name_prefix}telephony-"
  role        = aws_iam_role.host.name
}

# ------------------------------------------------------------ the instance

resource "aws_instance" "host" {
  ami                     = data.aws_ssm_parameter.ami.value
  instance_type           = var.instance_type
  subnet_id               = var.subnet_id
  vpc_security_group_ids  = [aws_security_group.host.id]
  iam_instance_profile    = aws_iam_instance_profile.host.name
  ebs_optimized           = true
  monitoring              = true # one-minute metrics for the CPU alarm
  disable_api_termination = var.termination_protection

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gb
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    region                = local.region
    artifacts_bucket      = var.artifacts_bucket_name
    bundle_key            = var.telephony_bundle_key
    bundle_sha256         = var.telephony_bundle_sha256
    originate_queue_url   = local.originate_queue_url
    call_events_topic_arn = local.event_topic_arns["call-events"]
    donation_events_topic = local.event_topic_arns["donation-events"]
    optout_events_topic   = local.event_topic_arns["optout-events"]
    table_prefix          = var.table_prefix
    trunk_host            = var.trunk_host
    trunk_port            = var.trunk_port
    trunk_match           = join(",", var.carrier_cidrs)
    local_net             = var.vpc_cidr
    # The secret's ARN, not its name: the host reads it before any alias.
    ari_credentials_secret_arn = var.ari_credentials_secret_arn
    max_channels               = var.max_channels
  })
  # A new bundle is rolled out with Session Manager (README runbook), not by
  # replacing the host and its address.
  user_data_replace_on_change = false

  lifecycle {
    ignore_changes = [ami, user_data]
  }

  tags = { Name = "${var.name_prefix}telephony" }
}

resource "aws_eip" "host" {
  domain   = "vpc"
  instance = aws_instance.host.id
  tags     = { Name = "${var.name_prefix}telephony" }
}
