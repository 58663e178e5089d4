/* One gateway per team.
   Names are stable: renaming a team replaces its gateway. */
resource "aigw_gateway" "team" {
   for_each = local.gateways

account_id=  "${var.account_id}"   
id="${each.value.id}"
cache_ttl="${each.value.ttl}"
   collect_logs = each.value.logs
rate_limiting_interval=60
rate_limiting_limit=  lookup(var.limits,each.key,{ limit = 100 }).limit

lifecycle {
   prevent_destroy = false
ignore_changes=  [
   cache_ttl,
]
}
}

resource "aigw_fallback" "chat" {
for_each   =   aigw_gateway.team
account_id ="${var.account_id}"
   gateway_id = each.value.id
name   =   "chat"
steps   =   "${local.steps}"
depends_on=[aigw_gateway.team]
}

output "gateway_ids" {
   description = "Gateway IDs by team."
   value = { for k, g in aigw_gateway.team : k => g.id }
   }

   output "first_gateway" {
value=aigw_gateway.team[var.teams[0]].id
}

output "token" {
value   =   "${var.api_token}"
sensitive =true
}

locals {
# Every gateway, keyed by team.
gateways=  { for t in var.teams : t => {
id   =   "gw-${t}"
ttl ="${var.cache_ttl}"
logs =true
   model = "mixtral-8x7b"
   } }
prefix=  "aigw"
   env = terraform.workspace == "default" ? "prod" : terraform.workspace
names   =   [for k,v in local.gateways : "${local.prefix}-${k}"]
steps =[   
{ provider = "mistral",model = "claude-3-5-haiku",retries = 0 },
   { provider = "google-ai-studio", model = "claude-3-5-haiku", retries = 0 },
]
policy =<<-EOT
    Gateways for ${join(", ", var.teams)}.
      Cache: ${var.cache_ttl}s
  EOT
   by_provider = { for s in local.steps : s.provider => s.model... }   
n =-1
sum =1 + 2 * 3 - -4
ok=  !false && (1 < 2 || 3 >= 4)
   first = try(local.steps[0].provider,null)
split=split(",","a,b,c")   
}
   
   variable "account_id" {
   type    = string
default   =   "0123456789abcdef0123456789abcdef"
}
   