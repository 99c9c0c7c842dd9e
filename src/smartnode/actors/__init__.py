"""Members (Person), projects (Group) and the node actor (Application): rows, rules, AS2."""
