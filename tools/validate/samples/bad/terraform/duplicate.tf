# An argument set twice in one block: Terraform rejects it ("Attribute redefined").
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
  name = "jobs-2"
}
