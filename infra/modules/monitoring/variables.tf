variable "name_prefix" {
  type = string
}

variable "stage" {
  description = "dev, staging or prod (the metric namespace VoiceCampaigns/<stage>)"
  type        = string
}

variable "kms_key_arn" {
  type = string
}

variable "alarm_emails" {
  description = "Addresses told of every alarm (each confirms its subscription)"
  type        = list(string)
  default     = []
}

variable "telephony_instance_id" {
  description = "The telephony host, or null without one"
  type        = string
  default     = null
}
