# An existing VPC per tier (issue 17): EKS, with the subnets' blocks its NetworkPolicies name.
app    = "shop"
region = "us-east-1"

network {
  cidr = "10.40.0.0/16"
}

platform "eks" {
  version = "1.35"
  node_group "general" {
    instance_types = ["m6i.large"]
    min            = 2
    desired        = 2
    max            = 4
  }
}

database "main" {
  engine         = "postgres"
  engine_version = "16.11"
  instance_class = "db.t4g.medium"
}

service "api" {
  image     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag       = "1.0.0"
  port      = 8080
  cpu       = 500
  memory    = 1024
  databases = ["main"]
  health_check { path = "/health" }
  public {
    host = "api.shop.example"
    zone = "shop.example"
  }
}

tier "local" {
  runtime = "local"
}

tier "staging" {
  mirrors = "production"
  network {
    public_subnets  = ["10.40.0.0/24", "10.40.1.0/24"]
    private_subnets = ["10.40.10.0/24", "10.40.11.0/24"]
    existing {
      vpc_id             = "vpc-0b1c2d3e4f5a60718"
      private_subnet_ids = ["subnet-0b1c2d3e4f5a60711", "subnet-0b1c2d3e4f5a60712"]
      public_subnet_ids  = ["subnet-0b1c2d3e4f5a60713", "subnet-0b1c2d3e4f5a60714"]
    }
  }
}

tier "production" {
  network {
    public_subnets  = ["10.40.0.0/24", "10.40.1.0/24"]
    private_subnets = ["10.40.10.0/24", "10.40.11.0/24"]
    existing {
      vpc_id             = "vpc-0a1b2c3d4e5f60718"
      private_subnet_ids = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]
      public_subnet_ids  = ["subnet-0a1b2c3d4e5f60713", "subnet-0a1b2c3d4e5f60714"]
    }
  }
}
