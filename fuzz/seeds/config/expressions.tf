variable "names" {
  type    = list(string)
  default = ["a", "b"]
}
locals {
  joined = join(",", [for n in var.names : upper(n) if n != ""])
  m      = { for i, n in var.names : n => i }
  t      = "x-${local.joined}-%{if length(var.names) > 1}many%{else}one%{endif}"
  c      = try(local.m["z"], can(tonumber("1")) ? 1 : 0)
}
output "o" {
  value = [local.t, local.c, lookup(local.m, "a", -1), jsonencode(local.m)]
}
