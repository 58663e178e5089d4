teams = { search = 5, support = 20 }
shards = 3
