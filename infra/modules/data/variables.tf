variable "name_prefix" {
  description = "Prefix of every resource name, e.g. campaign-prod-"
  type        = string
}

variable "table_prefix" {
  description = "Prefix of the DynamoDB table names (the functions' CAMPAIGN_TABLE_PREFIX)"
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (on in staging and prod)"
  type        = bool
  default     = true
}

variable "dashboard_origins" {
  description = "Origins allowed to upload to the audio and uploads buckets from a browser"
  type        = list(string)
}

variable "noncurrent_version_days" {
  description = "How long an overwritten or deleted object version is kept"
  type        = number
  default     = 30
}

variable "access_log_days" {
  type    = number
  default = 365
}

variable "replica_region" {
  description = "Region the audio and reports buckets replicate to; null for none"
  type        = string
  default     = null
}
