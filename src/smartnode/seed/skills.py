"""Matching profiles for the seeded members: their free skill tags mapped to concepts of the
curated ESCO seed, their languages with a CEFR level, and opt-ins that follow `discoverable`."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.inputs import MemberInput
from smartnode.matching.curated import seed_concepts
from smartnode.matching.inputs import MatchingProfileInput
from smartnode.matching.profiles import set_matching_profile
from smartnode.storage.models import Actor

_S, _O = "http://data.europa.eu/esco/skill/", "http://data.europa.eu/esco/occupation/"

#: Free tags of the seed data → the curated concept that names them best (tags without a
#: fitting concept stay free tags only).
TAG_CONCEPTS = {
    "3D modelling": _S + "97965983-0da4-4902-9daf-d5cd2693ef73",
    "3D printing": _S + "2afb2b59-c9a3-4cf3-b1dd-1a2fad51e583",
    "UX design": _S + "07dd856d-6141-48a7-a228-918f88494812",
    "Unity": _S + "d1a86399-24d8-415f-98b9-e8cbb6b04a26",
    "Unreal Engine": _S + "b04c4965-4fd7-4dfa-a8d4-0cec5c5f5d0c",
    "accessibility": _S + "3e23db60-0c3d-498a-a6ac-ffbed0ecb033",
    "acting": _S + "b983e86d-61d5-4ebf-8810-2650c91da096",
    "animation": _S + "1c00bc98-2713-4c62-82c5-6d86f2e6a4cb",
    "architecture": _S + "80c042de-bc1a-4d78-b266-35bc80ba3093",
    "arts education": _S + "0fbba913-65b1-47ea-a429-d4d84f44072c",
    "bioclimatic design": _S + "5def6d00-daed-4d21-af9e-47938cf1877f",
    "book design": _S + "c46cf6f9-8b1e-44b9-a529-f5774c9167dd",
    "budgeting": _S + "21c5790c-0930-4d74-b3b0-84caf5af12ea",
    "camera operation": _S + "10cade4f-df4d-4408-8924-5994976fc798",
    "carpentry": _S + "19858dd3-a5fe-4855-b644-6ecfefd1c384",
    "chamber music": _S + "79862c50-3b36-4c37-9ff6-669a54fce459",
    "choreography": _S + "15781a5c-7f8a-4433-9c85-2eddfd3ab8f6",
    "cinematography": _S + "eb3aa3a8-6ece-441d-9041-15dcb0880e47",
    "circular design": _S + "22c45bf7-e52b-475f-847b-c32a87f65a5d",
    "circus": _S + "1b509156-3e4d-4eb2-98a7-d1fd1188e2c2",
    "colour grading": _S + "52845dce-98ba-48b5-8abc-09a2c580be28",
    "community arts": _O + "4efdf62f-a1d9-450e-aebc-2d6a6110f05d",
    "composition": _S + "c109d892-3665-4743-877b-2ba23834e9e0",
    "contemporary dance": _S + "2aeadb90-7ddc-4329-9268-8d5a6bf76b99",
    "costume design": _O + "d1b1dfdf-7d60-430a-b569-7dd71b2ebeaa",
    "creative coding": _S + "21d2f96d-35f7-4e3f-9745-c533d2dd6e97",
    "cultural mediation": _S + "925ac396-118c-4a07-b4c2-31eb519e2268",
    "dance": _S + "2aeadb90-7ddc-4329-9268-8d5a6bf76b99",
    "dance teaching": _S + "c6f88b89-ce2c-4b8c-a133-7ee95bc48efa",
    "data visualisation": _S + "c3e36d05-8ae8-447f-bb2b-6f9409f85389",
    "directing": _S + "a1ded3c7-f3e2-45c9-aa01-e4e84d5f69c8",
    "double bass": _S + "8f8a8803-dc72-4488-9991-7c7d373e01fa",
    "drama teaching": _O + "cbde2432-cb7f-451f-a686-b22cad3957a6",
    "editing": _S + "9ce52938-fe28-4548-b38d-0c783933e19a",
    "editorial design": _S + "c46cf6f9-8b1e-44b9-a529-f5774c9167dd",
    "electronic music": _O + "5ff7a990-a306-40c2-9224-b2bf7f15b2f9",
    "event production": _S + "03a0ab28-ce99-4e14-baf8-a66c55da28f8",
    "exhibition design": _S + "a2adddad-2889-460c-a111-e3a2001ae785",
    "fashion design": _S + "d65e43ec-236d-4774-9ee6-f7f88e715bc4",
    "festival management": _S + "f3b841c9-17d1-4cc3-9e6b-36c17b0d15d3",
    "field recording": _S + "1adec82b-e32b-4acc-bd89-e7d61d387161",
    "film music": _S + "684927a3-1d71-4b87-abb4-db204bb87086",
    "film production": _S + "493b20c2-c435-449a-896e-0af057c41fef",
    "flamenco": _S + "2aeadb90-7ddc-4329-9268-8d5a6bf76b99",
    "fundraising": _S + "526a0eaa-2bee-4e80-989f-cb36f9fbee47",
    "game design": _O + "d68ff35f-e34d-4e32-88ab-d6c06a6c25b9",
    "game development": _O + "9ebaf3f0-0be0-47b7-b2b1-b3b04130fa81",
    "game programming": _S + "966f2fd3-3de6-42da-b87c-da924c6d7960",
    "graphic design": _S + "7fb699d9-182a-430e-b7a0-6d8ed05c284b",
    "heritage restoration": _S + "eb15dded-296d-4d7f-a5f4-549ece8b34fd",
    "illustration": _O + "1b949bae-882f-40ff-9fe7-3c8ede5e38b5",
    "interaction design": _S + "de0be6e8-644c-4cc9-9c8d-925dd98dda56",
    "interviewing": _S + "66d47084-9437-48b2-819b-c4c8214ed650",
    "jazz": _S + "29891a32-64aa-4f64-b6eb-1fa990659375",
    "journalism": _S + "3391d6dd-d584-4c8c-9af9-d2f0c45e2b4b",
    "level design": _S + "0620ecd1-e4b1-4dfa-972b-38a93e5ebd9d",
    "lighting design": _S + "935d6f91-60c7-4eec-b6e0-255f96fa37d3",
    "live sound": _S + "84bbad5b-6560-440a-89f0-0e61729e80a0",
    "mixing": _S + "16ac3d37-dd72-40c3-863d-dab1ded961be",
    "moderation": _S + "5b46f572-7ced-4efd-b270-a81a164d521c",
    "motion design": _S + "8afe68ff-b261-4fa8-ab25-bb30b0e5c292",
    "music production": _O + "5ff7a990-a306-40c2-9224-b2bf7f15b2f9",
    "music teaching": _S + "90c0e266-c9ea-4036-802e-475ea50b9c7b",
    "narrative design": _S + "208b41bd-3b61-4439-b3ca-d39628dd7fe3",
    "open source": _S + "b16200f4-4f39-4b8b-aa9d-3568054d6bdb",
    "opera": _S + "e50a68c5-2a5d-4815-8bd1-e4334aed7683",
    "participatory design": _S + "0fdc32f8-d7f4-48c3-895a-5aefc23a44b4",
    "photography": _S + "38509fa4-7c06-4a4b-9622-f521f03c37b8",
    "podcast production": _O + "ef0363cf-361a-47df-9431-d94afb757ce0",
    "poster design": _S + "f058bf62-70d1-4f5e-be2a-8b26fac24a96",
    "product design": _S + "efacdaad-ab73-4056-bee3-4eb34b458bf6",
    "production management": _O + "03632d98-0ae3-4dd2-941c-3b48de9a0219",
    "puppetry": _S + "4b1dc06f-a000-4cd7-9523-3bb24e628f7e",
    "rigging": _S + "b8e703c0-6953-4f07-879a-5bea28c006c6",
    "screenwriting": _S + "681a1f8a-4244-4e82-af36-0148b89c2863",
    "set design": _O + "874a2080-a9b6-46a9-8662-c9b7d4208f73",
    "singing": _S + "e50a68c5-2a5d-4815-8bd1-e4334aed7683",
    "social media": _S + "5303169c-75d6-4751-9136-a4b88343388c",
    "sound art": _O + "ce8145f5-d7ea-40ea-b12e-ef168f11184a",
    "sound design": _O + "790c8dca-f624-4bdc-ac16-27bc13ead188",
    "stage management": _O + "1aa4bb15-c527-4a3b-9270-b3c71c4be111",
    "stage technology": _S + "1bd159ef-68ad-4a6d-90c7-e1ba4b258c9d",
    "storyboarding": _S + "2344fb75-9deb-4e6e-b485-3e30df082920",
    "street theatre": _S + "b1daf957-3424-40e6-870c-d00d4317a45e",
    "sustainability": _S + "469e19ed-a0bd-445a-ae2d-4ba9430e296b",
    "textile design": _S + "8542b62b-18b1-4c7f-9d4e-e717c10fbd72",
    "theatre": _S + "fed5b267-73fa-461d-9f69-827c78beb39d",
    "theatre directing": _O + "8a451ae2-3c31-4f35-90af-6275b1b02f93",
    "timber construction": _S + "19858dd3-a5fe-4855-b644-6ecfefd1c384",
    "translation": _S + "2ca8f0db-2c2a-4d07-af6c-effb99fed08b",
    "typography": _S + "080a3bf6-c8e8-481e-b97e-8fbc964ebab7",
    "upcycling": _S + "22c45bf7-e52b-475f-847b-c32a87f65a5d",
    "urban planning": _S + "7f18039d-dfae-471b-9daa-507f6b2d2842",
    "video editing": _S + "9ce52938-fe28-4548-b38d-0c783933e19a",
    "violin": _S + "8f8a8803-dc72-4488-9991-7c7d373e01fa",
    "visual identity": _S + "f058bf62-70d1-4f5e-be2a-8b26fac24a96",
    "voice acting": _O + "e89e330c-daa3-48f0-b34e-04e3344ea8dc",
    "volunteer coordination": _S + "b514f861-985b-4aeb-bcba-9a7f8bee0e8d",
    "web development": _S + "69bbd53f-fbb0-4476-b4b2-ef7844464e28",
    "workshop facilitation": _S + "2d580707-99df-4ee0-9269-64fcf3f97171",
    "writing": _O + "b06a1dde-e5a1-4219-9491-2bedd0282e4b",
    "youth work": _S + "2eb30deb-18d0-4e9d-9c53-30069ac9a108",
}
#: Tags that say the member teaches.
TEACHING = {"arts education", "dance teaching", "drama teaching", "music teaching",
            "workshop facilitation"}  # fmt: skip
MAX_SECTORS = 3


def _level(language: str, position: int, own: str) -> str:
    if language == own or position == 0:
        return "native"
    return "C1" if language == "en" else "B2"


def matching_input(member: MemberInput) -> MatchingProfileInput:
    """A seeded member's matching profile, made from their seed data alone."""
    skills: dict[str, dict[str, object]] = {}
    for position, tag in enumerate(member.skills):
        uri = TAG_CONCEPTS.get(tag)
        if uri is not None and uri not in skills:
            skills[uri] = {"uri": uri, "level": 3 if position < 2 else 2,
                           "can_teach": tag in TEACHING}  # fmt: skip
    sectors_of = {c.uri: c.sectors for c in seed_concepts()}
    counted = Counter(s for uri in skills for s in sectors_of.get(uri, ()))
    shown = member.discoverable
    return MatchingProfileInput.model_validate(
        {
            "skills": list(skills.values()),
            "languages": [
                {"language": lang, "level": _level(lang, n, member.language)}
                for n, lang in enumerate(member.languages)
            ],
            "location": {"country": member.country, "city": member.city},
            "sectors": [sector for sector, _ in counted.most_common(MAX_SECTORS)],
            "opt_ins": {"listed": shown, "visible_to_nodes": shown, "suggestions": shown,
                        "indexable": member.indexable},
        }
    )  # fmt: skip


async def seed_matching_profile(
    session: AsyncSession, actor: Actor, member: MemberInput, now: datetime
) -> None:
    """Give a just-seeded member their matching profile (the curated seed must be loaded)."""
    await set_matching_profile(session, actor, matching_input(member), now)
