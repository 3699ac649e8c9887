"""Word lists and regex fragments shared by the QA question templates.

Dates, names, places and years as regex fragments; closed word classes (pronouns,
prepositions, clause openers); the verbs and role nouns the templates look for; and
the words that make a subject or an answer too vague to ask about.
"""

from __future__ import annotations

import re

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_DATE = (
    rf"(?:(?:\d{{1,2}} )?(?:{_MONTHS}) (?:\d{{1,2}}, )?)?\d{{3,4}}(?: (?:BC|BCE|AD|CE))?"
)
_FULL_DATE = rf"(?:\d{{1,2}} (?:{_MONTHS}),? \d{{4}}|(?:{_MONTHS}) \d{{1,2}}, \d{{4}})"
_NAME = (
    r"[A-Z][\w'’.-]*"
    r"(?: (?:(?:de|van|von|der|den|da|di|du|la|le|al|bin|ibn|of) )?[A-Z][\w'’.-]*){0,4}"
)
_PLACE = r"[A-Z][\w'’.-]*(?:,? (?:the )?[A-Z][\w'’.-]*){0,4}"
_YEAR = r"(?:1[0-9]{3}|20[0-2][0-9])"
_APPROX = (
    r"(?i:at least|more than|over|about|around|nearly|almost|some|approximately|up to|"
    r"fewer than|less than|an estimated|roughly|only|just|another|a further|a total of)"
)
_PRONOUNS = {
    "he", "she", "it", "they", "this", "these", "that", "those", "there", "his", "her",
    "its", "their", "we", "i", "you", "our", "such", "both", "one", "some", "many", "most",
    "all", "another", "each", "here", "which", "who", "what", "but", "and", "however",
    "him", "them", "us", "me", "my", "your",
}
# words that open a clause, not a noun phrase ("In classical Greece he was ...")
_NOT_SUBJECT_START = {
    "in", "on", "at", "for", "by", "during", "after", "before", "from", "with", "as",
    "since", "although", "though", "when", "while", "if", "because", "unlike", "like",
    "under", "until", "despite", "following", "among", "between", "according", "through",
    "within", "without", "upon", "over", "once", "whereas", "where", "why", "how", "so",
    "yet", "nor", "or", "then", "thus", "also", "today", "later", "earlier", "yesterday",
} | _PRONOUNS
_PREPOSITIONS = {
    "in", "on", "at", "after", "before", "during", "following", "by", "from", "with",
    "under", "until", "since", "for", "through", "throughout", "within", "upon", "despite",
    "between", "among", "amid", "around", "about", "of", "to", "towards", "near", "over",
}
_DISCOURSE = re.compile(
    r"^(?:However|Furthermore|Moreover|Then|For example|For instance|In addition|Meanwhile|"
    r"Also|Subsequently|Thus|Therefore|Later|Eventually|Nevertheless|Finally|Instead|"
    r"Initially|Consequently|Additionally|Similarly|In contrast|As a result|Indeed|Still|"
    r"Nonetheless|Today|Originally|Soon|Ultimately|In fact|Overall|Separately|Again), "
)
_SUBORDINATOR = re.compile(
    r"^(?:When|After|Before|While|As|Since|Until|Once|Although|Though|Because|If|Whereas) "
)
_LEADING_MODIFIERS = {
    "meanwhile", "but", "and", "however", "yesterday", "today", "earlier", "later", "when",
    "after", "before", "as", "the", "a", "an", "in", "on", "at", "also", "former", "then",
    "now", "last", "acting", "outgoing", "incoming", "if", "while", "since", "senior",
    "following", "under", "by", "with", "from", "for", "to", "during", "of", "said", "says",
}
_PAST_TENSE = {
    "written": "wrote", "founded": "founded", "discovered": "discovered",
    "invented": "invented", "directed": "directed", "designed": "designed",
    "developed": "developed", "created": "created", "composed": "composed",
    "published": "published", "built": "built", "established": "established",
    "painted": "painted", "produced": "produced", "introduced": "introduced",
    "proposed": "proposed", "coined": "coined", "led": "led", "defeated": "defeated",
    "killed": "killed", "assassinated": "assassinated", "conquered": "conquered",
    "captured": "captured", "edited": "edited", "illustrated": "illustrated",
    "formulated": "formulated", "described": "described", "translated": "translated",
    "recorded": "recorded", "performed": "performed", "won": "won",
    "succeeded": "succeeded", "replaced": "replaced", "elected": "elected",
    "appointed": "appointed", "commissioned": "commissioned", "popularized": "popularized",
    "popularised": "popularised", "pioneered": "pioneered", "organized": "organized",
    "organised": "organised", "sponsored": "sponsored", "signed": "signed",
    "owned": "owned", "ruled": "ruled", "invaded": "invaded", "acquired": "acquired",
    "bought": "bought", "purchased": "purchased", "hosted": "hosted", "coached": "coached",
    "arrested": "arrested", "charged": "charged", "rejected": "rejected",
    "criticised": "criticised", "criticized": "criticized", "announced": "announced",
    "released": "released", "launched": "launched", "funded": "funded", "opened": "opened",
}
_PARTICIPLES = "|".join(sorted(_PAST_TENSE, key=len, reverse=True))
_SPEECH_VERBS = (
    r"said|says|told reporters|warned|announced|claimed|argued|believes|believed|predicted|"
    r"insists|insisted|admitted|denied|confirmed|conceded|stated|maintains|maintained|"
    r"estimates|estimated|reported|reports|hopes|fears|expects|expected|suggested|suggests"
)
_BARE_ROLES = {
    "prime minister", "vice president", "deputy prime minister", "president", "premier",
    "treasurer", "minister", "leader", "governor", "secretary", "chairman", "director",
    "chief executive", "spokesman", "commissioner", "ambassador", "commander", "mayor",
    "deputy premier", "deputy leader", "lieutenant governor", "chief", "general secretary",
    "deputy president", "foreign minister", "defence minister", "police commissioner",
    "lord mayor", "chief minister", "first minister", "chief secretary",
}
_ROLE_WORDS = (
    r"president|leader|head|chairman|chairwoman|chief|director|founder|minister|secretary|"
    r"governor|mayor|king|queen|emperor|prince|princess|son|daughter|wife|husband|father|"
    r"mother|brother|sister|author|editor|commander|captain|general|premier|spokesman|"
    r"spokeswoman|ambassador|chancellor|owner|manager|coach|founder|creator|inventor|"
    r"composer|architect|senator|member|professor|dean|archbishop|bishop|pope|ruler"
)
_ROLE_NOUNS = (
    r"Minister|Premier|President|Treasurer|Secretary|Commissioner|Chairman|Leader|Governor|"
    r"Attorney-General|Director|Chief Executive|Ambassador|Commander|Mayor|Spokesman|Chief"
)
_ROLE_OR_BODY = {"Minister", "President", "Premier", "Government", "Party"}
_DANGLING = {"and", "or", "of", "the", "in", "to", "for", "by", "a", "an", "on", "at"}
_VAGUE_SINGLE = {
    "group", "class", "family", "collection", "body", "branch", "field", "area", "unit",
    "system", "method", "concept", "type", "set", "list", "study", "practice", "theory",
}
_VAGUE_HEADS = {
    "result", "part", "subject", "matter", "case", "way", "number", "lot", "thing", "one",
    "same", "only", "first", "most", "best", "main", "key", "major", "good", "great",
    "important", "example", "source", "member", "focus", "combination", "mixture", "set",
    "series", "variety", "range", "kind", "sort", "means", "basis", "reason", "problem",
    "question", "issue", "point", "factor", "form", "term", "word", "name", "view", "idea",
}

