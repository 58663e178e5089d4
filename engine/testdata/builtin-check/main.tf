resource "terraform_data" "src" {
  input = "1"
}

check "src_is_two" {
  assert {
    condition     = terraform_data.src.output == "2"
    error_message = "src's output is not 2."
  }
}

check "src_is_one" {
  assert {
    condition     = terraform_data.src.output == "1"
    error_message = "src's output is not 1."
  }
}
