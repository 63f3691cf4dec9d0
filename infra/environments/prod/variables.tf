variable "region" {
  type = string
}

variable "stage" {
  type = string
}

variable "table_prefix" {
  description = "Set only after a point-in-time restore (README runbook); null: campaign-<stage>-"
  type        = string
  default     = null
}

variable "dashboard_origins" {
  type = list(string)
}

variable "availability_zones" {
  type = list(string)
}

variable "vpc_cidr" {
  type = string
}

variable "deletion_protection" {
  type = bool
}

variable "replica_region" {
  type    = string
  default = null
}

variable "log_retention_days" {
  type = number
}

variable "telephony_host" {
  type = bool
}

variable "carrier_cidrs" {
  description = "The SIP carrier's networks (from the carrier; documentation ranges below are placeholders)"
  type        = list(string)
}

variable "carrier_sip_host" {
  description = "The carrier's SIP host, name or IPv4 (from the carrier; terraform.tfvars holds a placeholder)"
  type        = string
}

variable "carrier_sip_port" {
  type    = number
  default = 5060
}

variable "telephony_instance_type" {
  type = string
}

variable "telephony_bundle_key" {
  description = "telephony/<version>.tar.gz in the artifacts bucket (README, Deploy step 3)"
  type        = string
}

variable "telephony_bundle_sha256" {
  type = string
}

variable "alarm_emails" {
  type    = list(string)
  default = []
}
