# Internal exposure on ECS Fargate (issue 17): a public site beside two services reached from
# inside the VPC only, so two load balancers (internet-facing, internal). `api` has a Private
# CA's certificate and a private zone tierform creates, and admits a VPN's range too; `admin`
# has an existing certificate and an existing private zone. Staging mirrors production with
# its own names, CA, certificate and zone (knobs).
app    = "corp"
region = "us-east-1"

network {
  cidr = "10.60.0.0/16"
}

platform "ecs_fargate" {}

service "web" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/corp-web"
  tag   = "1.0.0"
  port  = 8080
  calls = ["api"]
  health_check { path = "/health" }
  public {
    host = "www.corp.example"
    zone = "corp.example"
  }
}

service "api" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/corp-api"
  tag   = "1.0.0"
  port  = 9000
  health_check { path = "/health" }
  internal {
    host                      = "api.{env}.corp.internal"
    zone                      = "corp.internal"
    certificate_authority_arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
    allowed_cidrs             = ["10.60.0.0/16", "172.20.0.0/16"]
  }
}

service "admin" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/corp-admin"
  tag   = "1.0.0"
  port  = 9100
  health_check { path = "/health" }
  internal {
    host            = "admin.{env}.ops.internal"
    zone            = "ops.internal"
    zone_id         = "Z0123456789ABCDEFGHIJ"
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"
  }
}

tier "local" {
  runtime = "local"
}

tier "staging" {
  mirrors = "production"
  service "api" {
    internal {
      certificate_authority_arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
      allowed_cidrs             = ["10.60.0.0/16"]
    }
  }
  service "admin" {
    internal {
      zone_id         = "Z9876543210ZYXWVUTSRQ"
      certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/ffffffff-0000-1111-2222-333333333333"
    }
  }
}

tier "production" {}
