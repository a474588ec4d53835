variable "environment" {
  type = string
}

variable "tier" {
  type    = string
  default = "dev"
  secret  = true # not a variable argument
}

output "prefix" {
  value = "shop-${var.environmnet}" # misspelled: no such variable here
}
