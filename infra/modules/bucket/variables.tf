variable "name" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "access_log_bucket" {
  description = "Bucket receiving this bucket's server access logs"
  type        = string
}

variable "transition_days" {
  description = "Days before current objects move to Glacier Instant Retrieval (null: never)"
  type        = number
  default     = null
}

variable "expire_days" {
  description = "Days before current objects are deleted (null: never)"
  type        = number
  default     = null
}

variable "noncurrent_version_days" {
  type    = number
  default = 30
}

variable "cors_origins" {
  description = "Origins allowed to PUT/GET with presigned URLs from a browser"
  type        = list(string)
  default     = []
}
