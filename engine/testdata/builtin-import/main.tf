import {
  to = terraform_data.one
  id = "the-one"
}

resource "terraform_data" "one" {
}

import {
  for_each = { x = "id-x", y = "id-y" }
  to       = terraform_data.many[each.key]
  id       = each.value
}

resource "terraform_data" "many" {
  for_each = toset(["x", "y", "z"])
}
