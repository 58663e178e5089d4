resource "terraform_data" "a" {
  input = "x"
}

resource "terraform_data" "b" {
  input = "y"
  lifecycle {
    postcondition {
      condition     = self.input == terraform_data.a.input
      error_message = "b's input must be a's."
    }
  }
}
