"""Realistic demo data per country (members, projects, teams) and the code that seeds a node."""

from smartnode.seed.catalog import COUNTRIES, SeedCountry, SeedProject, load_country
from smartnode.seed.seeding import SeedReport, has_members, seed_country

__all__ = [
    "COUNTRIES",
    "SeedCountry",
    "SeedProject",
    "SeedReport",
    "has_members",
    "load_country",
    "seed_country",
]
