"""Publishing: the domain write, its activity and the fan-out job commit in ONE transaction."""
