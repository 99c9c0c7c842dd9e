"""A cross-language fixture: six domains of freelance work, one short text per language (en sv
fr nl de it es). Within a domain no two languages share a word (folded), so only meaning can
bring them together; test_search_crosslang.py checks that."""

from __future__ import annotations

LANGUAGES = ("en", "sv", "fr", "nl", "de", "it", "es")

TEXTS: dict[str, dict[str, str]] = {
    "sound": {
        "en": "Sound engineer mixing live gigs with microphones and loudspeakers.",
        "sv": "Ljudtekniker som mixar livekonserter med mikrofoner och högtalare.",
        "fr": "Ingénieur du son : mixage des spectacles, micros et enceintes.",
        "nl": "Geluidstechnicus die optredens mixt, met microfoons en luidsprekers.",
        "de": "Tontechnikerin für Livemusik, Mischpult, Mikrofone und Lautsprecher.",
        "it": "Fonico per concerti dal vivo, microfoni e altoparlanti.",
        "es": "Ingeniera de sonido para conciertos, micrófonos y altavoces.",
    },
    "dance": {
        "en": "Contemporary dancer and choreographer creating stage works.",
        "sv": "Samtida dansare och koreograf som skapar scenverk.",
        "fr": "Danseuse contemporaine et chorégraphe qui crée des pièces scéniques.",
        "nl": "Hedendaagse danseres en choreografe die voorstellingen maakt.",
        "de": "Zeitgenössische Tänzerin und Choreografin, entwickelt Bühnenstücke.",
        "it": "Ballerina contemporanea e coreografa che crea spettacoli.",
        "es": "Bailarina actual y creadora de coreografías que monta obras escénicas.",
    },
    "photo": {
        "en": "Portrait photographer shooting weddings, studio lighting and retouching.",
        "sv": "Porträttfotograf på bröllop, studioljus och bildretusch.",
        "fr": "Photographe portraitiste pour les mariages, éclairage d'atelier, retouches.",
        "nl": "Portretfotograaf voor bruiloften, studiolicht en nabewerking.",
        "de": "Porträtfotografin für Hochzeiten, Studiobeleuchtung und Bildbearbeitung.",
        "it": "Fotografa ritrattista di matrimoni, luci da set e fotoritocco.",
        "es": "Fotógrafo retratista de bodas, iluminación y retoque digital.",
    },
    "carpentry": {
        "en": "Carpenter building wooden sets and scenery for playhouses.",
        "sv": "Snickare som bygger kulisser av trä till teatern.",
        "fr": "Menuisier qui construit des décors en bois pour le théâtre.",
        "nl": "Timmerman die houten coulissen bouwt voor toneelvoorstellingen.",
        "de": "Schreiner baut Bühnenbilder aus Holz fürs Schauspielhaus.",
        "it": "Falegname che costruisce scenografie in legno per teatri.",
        "es": "Carpintero que fabrica escenarios de madera para obras teatrales.",
    },
    "accounting": {
        "en": "Bookkeeper handling invoices, payroll and annual tax returns.",
        "sv": "Redovisningskonsult som sköter fakturor, löner och deklarationer.",
        "fr": "Comptable : factures, fiches de paie et déclarations fiscales annuelles.",
        "nl": "Boekhouder voor facturen, salarisadministratie en belastingaangifte.",
        "de": "Buchhalterin für Rechnungen, Lohnabrechnung und Steuererklärung.",
        "it": "Contabile per fatture, buste paga e dichiarazione dei redditi.",
        "es": "Contable autónomo: facturación, nóminas, impuestos anuales.",
    },
    "cooking": {
        "en": "Chef cooking vegetarian meals for film crews on location.",
        "sv": "Kock som lagar vegetarisk mat åt filmteam under inspelningar.",
        "fr": "Cuisinière qui prépare des repas végétariens pour tournages.",
        "nl": "Kok die vegetarische maaltijden bereidt voor filmploegen.",
        "de": "Köchin kocht fleischlose Gerichte für Drehteams am Set.",
        "it": "Cuoca che cucina piatti vegetariani per troupe cinematografiche.",
        "es": "Cocinero que elabora comidas sin carne para rodajes.",
    },
}
