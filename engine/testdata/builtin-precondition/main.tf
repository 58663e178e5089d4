variable "name" {
  default = "a-name-that-is-too-long"
}

resource "terraform_data" "a" {
  input = var.name
  lifecycle {
    precondition {
      condition     = length(var.name) < 10
      error_message = "The name must be shorter than 10 characters."
    }
  }
}
