variable "name_prefix" {
  type = string
}

variable "table_prefix" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  description = "A public subnet (the Elastic IP needs its internet gateway)"
  type        = string
}

variable "carrier_cidrs" {
  description = "The SIP carrier's signalling and media networks; nothing else reaches SIP or RTP"
  type        = list(string)

  validation {
    condition     = length(var.carrier_cidrs) > 0 && alltrue([for c in var.carrier_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "List the carrier's CIDR blocks; 0.0.0.0/0 is refused."
  }
}

variable "instance_type" {
  description = "Graviton (arm64) like the functions; c7g.large carries a few hundred G.711 channels"
  type        = string
  default     = "c7g.large"
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter of the image (Ubuntu 24.04 LTS arm64 packages Asterisk 20)"
  type        = string
  default     = "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id"
}

variable "root_volume_gb" {
  type    = number
  default = 30
}

variable "termination_protection" {
  type    = bool
  default = true
}

variable "kms_key_arn" {
  type = string
}

variable "ari_credentials_secret_arn" {
  description = "Secret of the ARI user {username, password}; install.sh fills it on the first run"
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's CIDR (Asterisk's local_net: addresses not behind the NAT)"
  type        = string
}

variable "trunk_host" {
  description = "The carrier's SIP host (name or IPv4) the trunk sends calls to"
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$", var.trunk_host))
    error_message = "The carrier's SIP host name or IPv4 address."
  }
}

variable "trunk_port" {
  description = "The carrier's SIP port"
  type        = number
  default     = 5060

  validation {
    condition     = var.trunk_port >= 1 && var.trunk_port <= 65535 && floor(var.trunk_port) == var.trunk_port
    error_message = "A port number."
  }
}

variable "audio_bucket_arn" {
  type = string
}

variable "tts_cache_bucket_arn" {
  type = string
}

variable "artifacts_bucket_arn" {
  type = string
}

variable "artifacts_bucket_name" {
  type = string
}

variable "telephony_bundle_key" {
  description = "Key of the telephony bundle in the artifacts bucket (telephony/<version>.tar.gz)"
  type        = string
}

variable "telephony_bundle_sha256" {
  description = "Its SHA-256, checked before it is unpacked"
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.telephony_bundle_sha256))
    error_message = "A hex SHA-256."
  }
}

variable "health_key_prefix" {
  description = "Key prefix of the host's load items in the counters table (campaign_core::host_health)"
  type        = string
  default     = "telephony-health/"
}

variable "max_channels" {
  description = "Most concurrent channels the bridge opens on this host"
  type        = number
  default     = 200
}
