# An existing VPC per tier (issue 17): ECS Fargate with a public service.
app    = "shop"
region = "us-east-1"

network {
  cidr = "10.40.0.0/16"
}

platform "ecs_fargate" {}

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
    existing {
      vpc_id             = "vpc-0b1c2d3e4f5a60718"
      private_subnet_ids = ["subnet-0b1c2d3e4f5a60711", "subnet-0b1c2d3e4f5a60712"]
      public_subnet_ids  = ["subnet-0b1c2d3e4f5a60713", "subnet-0b1c2d3e4f5a60714"]
    }
  }
}

tier "production" {
  network {
    existing {
      vpc_id             = "vpc-0a1b2c3d4e5f60718"
      private_subnet_ids = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]
      public_subnet_ids  = ["subnet-0a1b2c3d4e5f60713", "subnet-0a1b2c3d4e5f60714"]
    }
  }
}
