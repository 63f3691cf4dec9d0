variable "stage" {
  type = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.stage)
    error_message = "dev, staging or prod."
  }
}

variable "table_prefix" {
  description = "Prefix of the DynamoDB tables; null for campaign-<stage>- (set after a point-in-time restore)"
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
  type    = string
  default = "10.40.0.0/16"
}

variable "deletion_protection" {
  description = "Tables, user pool and host refuse deletion"
  type        = bool
  default     = true
}

variable "replica_region" {
  description = "Region the audio and reports buckets replicate to (null: none)"
  type        = string
  default     = null
}

variable "log_retention_days" {
  type    = number
  default = 90
}

variable "telephony_host" {
  description = "Run the Asterisk host (false when Amazon Connect places every call)"
  type        = bool
  default     = true
}

variable "carrier_cidrs" {
  type    = list(string)
  default = []
}

variable "telephony_instance_type" {
  type    = string
  default = "c7g.large"
}

variable "telephony_bundle_key" {
  type    = string
  default = ""
}

variable "telephony_bundle_sha256" {
  type    = string
  default = ""
}

variable "alarm_emails" {
  type    = list(string)
  default = []
}

variable "console_domain_name" {
  description = "A custom name for the operator console (null: its CloudFront name)"
  type        = string
  default     = null
}

variable "console_certificate_arn" {
  description = "ACM certificate in us-east-1 for console_domain_name"
  type        = string
  default     = null
}
