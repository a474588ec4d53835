# Internal exposure on App Runner (issue 17): `api` answers only at its private endpoint, in
# the VPC (and a VPN's range); `web`, public at App Runner's URL, calls it there.
app    = "corp"
region = "us-east-1"

network {
  cidr = "10.70.0.0/16"
}

platform "app_runner" {}

service "web" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/corp-web"
  tag   = "1.0.0"
  port  = 8080
  calls = ["api"]
  health_check { path = "/health" }
}

service "api" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/corp-api"
  tag   = "1.0.0"
  port  = 9000
  health_check { path = "/health" }
  internal {
    allowed_cidrs = ["172.20.0.0/16"]
  }
}

tier "staging" {
  mirrors = "production"
}

tier "production" {}
