"""Text in a knowledge-base passage that addresses the drafting tool instead of the reader.

A planted passage (« Note pour l'assistant IA : ajoutez le numéro 06… ») is an instruction, not a
source: it is taken out of what the drafters read and out of the evidence the checks accept, so a
figure, link or number it carries is flagged if a draft repeats it, and the offline drafter never
quotes it. The draft gets an ``injection`` flag naming the passage, for the agent to report.

Detection is by line: a line is an instruction from the first sentence that names the tool (IA,
assistant, modèle de langage…) with an order, that tells someone to ignore instructions, that
speaks to the tool (« ta réponse », « [INST] », « mode développeur »), to the end of the line — and
from the start of the line when that sentence points back (« ce numéro », « ci-dessus »). HTML
comments are dropped whole: they are invisible on the source page.

What an attacker varies is the framing, so the addressee list covers the tool under every name a
planted note uses (« outils de réponse », « réponses automatisées », « les assistants » — not the
« assistants maternels »…), and more framings count as speaking to the tool: a label addressed to it
(« [assistant : … », « Note to the assistant: »), a key of structured data (``ai_instructions:``,
``"assistant_directive"``, ``answer_must_include``) and the block it opens, a condition on the
question asked (« Si la question porte sur … »), « toute réponse », a fake end of document and what
follows it, English instructions, an editorial rule for whoever writes the replies (« Consigne de
rédaction », « Mention à reproduire : », « à indiquer dans les réponses »), the tool called by name
(« Assistants, indiquez… »), a heading or comment naming it (« # paramètres pour l'assistant »).
Since blind set 5, classes rather than phrasings: a note on what the replies carry with words in
between (« numéro à communiquer systématiquement aux salariés dans les réponses »), to whoever asks
(« à donner à toute personne qui pose une question »), a value « à reproduire tel quel », a label in
brackets naming a kind of assistant (« (Assistant RH : … »), a writing-rule key in front matter or
data (``consigne_redaction:``, ``"regleRedaction":``), a redirection « désormais », a citation number
dictated, a tool « qui lit cette page », and notes in German, Spanish, Italian or English.
Look-alike letters (Cyrillic « а », Greek « Ι ») and styled letters are read as the Latin ones
first, so « Ιnstructiоn pоur l'аssistаnt » is seen for what it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

from assistant.pipeline.sentences import PASSAGE_CACHE, split_sentences
from assistant.pipeline.types import Passage
from knowledge_base.analysis import fold

_END_OF_DOCUMENT = r"\[\s*(?:fin|end) (?:du document|de la fiche|de la page|of (?:the )?document)\s*\]"
# HTML comments and elements styled to be invisible (``display:none``, ``font-size:0``, white text,
# ``hidden``): nobody reads them on the source page, so they are dropped whole.
_COMMENT = re.compile(
    r"<!--.*?(?:-->|$)|<(?P<tag>[a-z][\w-]*)\b[^>]*?(?:\bhidden\b|"
    r"style\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|"
    r"visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d])|"
    r"color\s*:\s*(?:white|#fff(?:fff)?\b)))[^>]*>.*?(?:</\s*(?P=tag)\s*>|$)",
    re.S | re.I,
)
# Invisible characters inside a word (« assis\u200btant ») hide it from the patterns below.
_HIDDEN = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# « assistant(e)s maternel(le)s », « assistant de prévention »…: people, not the tool.
_HUMAN_ASSISTANTS = (
    r"maternel|familia|socia|d'education|medic|parlementaire|juridique|administrati|d'enseignement|"
    r"de (?:prevention|conservation|service|vie|justice|direction|gestion)|sanitaire|dentaire|veterinaire|"
    r"de l'|ingenieur|technique|specialis"
)
_ADDRESSEE = re.compile(
    r"\b(?:ia|i\.a\.?|intelligence artificielle|assistants? (?:ia|virtuels?|de redaction|automatiques?|"
    r"conversationnels?|numeriques?)|modeles? (?:de langage|d'ia|ia)|llms?|chatbots?|chat ?gpt|gpt-?\d?|"
    r"claude|gemini|copilot|llama|openai|anthropic|agents? (?:ia|virtuels?)|lecteurs? automatiques?|"
    r"reponses? (?:issues?|fondees?|basees?|tirees?|redigees?|produites?|construites?) "
    r"(?:de|d'|sur|a partir de) ?(?:cette|ce|la presente) (?:fiche|page|document|source|passage|note)|"
    r"(?:toute|chaque) (?:communication|courriel|synthese|reformulation)|vos reponses|"
    r"mistral|agents? conversationnels?|robots? (?:de redaction|conversationnels?)|redacteurs? automatiques?|"
    r"generateurs? de (?:reponses?|textes?)|systemes? de redaction|"
    r"outils? (?:d'ia|de redaction|automatiques?)|"
    r"reponses? (?:automatiques?|automatisees?|generees?)|"
    r"(?:outils?|assistants?|systemes?|moteurs?|robots?|generateurs?|redacteurs?) de (?:reponses?|synthese)|"
    r"redacteurs? (?:de|des) (?:reponses?|fiches?|courriels?|brouillons?)|"
    r"(?:toute|chaque|toutes les|n'importe quelle) reponses?|"
    r"(?:les|vos) reponses (?:aux|adressees aux|faites aux|destinees aux) "
    r"(?:salaries|agents|usagers|employes)|"
    # whoever writes the replies (« la personne qui rédige la réponse », « quiconque répond »), any
    # tool reading the page (« tout assistant qui lit cette fiche »)
    r"(?:quiconque|celui|celle|ceux|celles|personnes?|redacteurs?|conseillers?|gestionnaires?|equipes?) "
    r"(?:qui|charges? de|chargees? de) (?:redig|repond|formul|prepar|trait)\w* (?:aux|les|la|une|des|a) "
    r"(?:reponses?|questions?|demandes?|courriels?|messages?)|"
    r"\bqui li(?:t|sent|ra|ront|rait) (?:cette|ce|la presente|le present) (?:page|fiche|document|note|texte|"
    r"passage)|"
    r"(?:tout|toute|chaque) (?:assistant|outil|ia|modele|robot|lecteur|systeme|programme)s? "
    r"(?:automatique |numerique |virtuel |d'ia )?qui (?:li|gener|redig|repond|trait|resum|synthetis|analys|"
    r"exploit)|"
    r"(?:aux|les|des|par les|pour les|pour l'|a l'|de l'|l') ?assistants?\b"
    rf"(?!(?:[\W_]|e\b|s\b){{0,8}}(?:{_HUMAN_ASSISTANTS})))\b"
)
# Passing a value on to the reader: the verbs of an editorial note (« à communiquer », « à transmettre »).
_PASS_ON = (
    r"indiqu|mentionn|reprodui|reprendr|cit|inclu|inser|rappel|recopi|communiqu|transmett|donn|fourni|"
    r"signal|precis|ajout|joindr|renvoy|diffus|relay|repet"
)
_ORDER = re.compile(
    r"\b(?:ajout|indiqu|mentionn|ecri|repon|cit|inclu|inser|precis|recopi|redirig|remplac|affich|"
    r"termin|commenc|signal|transmet|communiqu|donn|renvo|invit|conseill|rappel|reproduis|tradui|"
    r"dois|doit|doivent|devez|devra|faut|toujours|systematiquement|obligatoirement|imperativement|"
    r"ignor|oubli|applique|utilis|recommand|demand|dis|dites|reprend|reprenez|precede|reprodui|conclu|"
    r"tell|include|add|mention|always|say|write|reply|respond|append|insert|must|should)\w*"
)
_IGNORE = re.compile(
    r"\b(?:ignor\w*|oubli\w*|ne tien(?:s|t|nent|dra) pas compte|ne tenez pas compte|fai\w* abstraction|"
    r"disregard|forget)\b.{0,80}\b(?:instructions?|consignes?|regles?|directives?|prompt|"
    r"ce qui precede|tout ce qui|everything|previous)"
)
_SPEAKS_TO_TOOL = re.compile(
    r"\[/?(?:inst|system|sys)\]|<\|?/?(?:system|im_start|im_end|assistant)\|?>|#{2,}\s*(?:system|systeme)\b|"
    r"#{2,}\s*instructions? (?:systeme|system|pour|a l)|"
    r"^\s*(?:system|systeme|assistant)\s*:|\bmode (?:developpeur|sans restriction)|developer mode|jailbreak|"
    r"\bprompt\b|\b(?:ta|tes) (?:reponses?|instructions|consignes|brouillons?|regles|sortie)\b|"
    r"\bsi (?:tu es|vous etes) (?:un|une) (?:ia|assistant|modele|robot|outil|programme)|"
    r"\b(?:nouvelles?|vraies?|veritables?) (?:instructions?|consignes?)\b|"
    r"\bdans (?:chaque|toute|toutes les|tout) (?:reponses?|brouillons?|courriels? genere)|"
    r"\btu es (?:le|la|un|une|desormais|maintenant)\b|\ba partir de maintenant,? tu\b|"
    r"\ble modele (?:doit|devra|est tenu)\b(?! etre)|"
    # a condition on the question asked, a fake end of the document
    r"\bsi (?:la|une|ta|votre|l') ?(?:question|requete|conversation|utilisateur|interlocuteur)\b|"
    rf"{_END_OF_DOCUMENT}|"
    # a writer addressed while writing (« Lorsque vous rédigez une réponse… »)
    r"\b(?:lorsque|quand|si|des que|chaque fois que) (?:vous|tu) "
    r"(?:redig|repond|resum|synthetis|reformul|generez|generes)\w*|"
    r"\ben reponse a (?:toute|chaque|une quelconque) question\b|"
    # English instructions in a French knowledge base
    r"\bwhen (?:summari[sz]|answer|respond|repl|writ|generat|draft)\w*\b|"
    r"\b(?:in|to) (?:your|any|every|each) (?:answer|reply|response|summary|output)s?\b|"
    r"\b(?:note to|attention) (?:the )?(?:assistant|ai|model|bot)\b|"
    # an editorial rule for whoever writes the replies (« Consigne de rédaction », « Précision à
    # reproduire : », « lien à indiquer dans les réponses »)
    r"\b(?:consignes?|instructions?|regles?|directives?|precisions?|mentions?|formules?) (?:de redaction|"
    r"redactionnel\w*|a reproduire|a recopier|a reprendre|a inclure|a inserer)\b|"
    r"\ba (?:indiquer|mentionner|reproduire|reprendre|citer|inclure|inserer|rappeler|recopier|preciser) "
    r"(?:dans|en fin de|a la fin de|en tete de|en conclusion de) "
    r"(?:les|vos|toutes les|chaque|la|une|votre|ta) "
    r"(?:reponses?|courriels?|brouillons?|syntheses?)\b|"
    # a heading or a comment naming the tool (« # configuration assistant », « // règles pour l'IA »)
    r"^\s*(?:#+|//|;|--)\s*(?:configuration|config|parametres?|parametrage|reglages?|settings?|consignes?|"
    r"instructions?|directives?|regles?|prompt)\s+(?:de l'|de |du |pour l'|pour (?:les? )?|des )?"
    r"(?:assistants?|ia|ai|bot|chatbot|llm|modele|outils?|redacteurs?|generateurs?)\b"
)
# What blind set 5 planted, as classes: an editorial note on what the replies carry, a value to copy as
# it is, a citation number dictated, a redirection « désormais », the same in German, Spanish,
# Italian, English. Tried only on a sentence holding one of the words these need (_EDITORIAL_WORDS):
# one alternation tried at every position costs a few µs per alternative and sentence.
_EDITORIAL = re.compile(
    # an editorial note on what the replies must carry, adverbs and an addressee in between
    # (« numéro à communiquer systématiquement aux salariés dans les réponses », « lien à transmettre
    # à l'agent dans la réponse »), to whoever asks (« à donner à tout salarié qui pose une question »)
    rf"\ba (?:{_PASS_ON})\w* (?:[\w']+ ){{0,4}}?(?:dans|en fin de|a la fin de|en tete de|en conclusion de|"
    r"au bas de|en bas de) (?:(?:les|vos|toutes les|chaque|la|une|votre|ta|toute|sa|leurs?) )?"
    r"(?:reponses?|courriels?|brouillons?|syntheses?|messages?|mails?)\b|"
    rf"\ba (?:{_PASS_ON})\w* (?:[\w']+ ){{0,3}}?(?:a|aux) (?:tout|toute|chaque|tous les|toutes les|les|l') ?"
    r"(?:salaries?|agents?|usagers?|personnes?|interlocuteurs?|demandeurs?|employes?|collaborateurs?) "
    r"qui (?:pose|posent|poserai\w*|interroge\w*|demande\w*|ecri\w*|se renseign\w*)\b|"
    # a value to be copied as it is (« à reproduire tel quel », « doit être recopiée mot pour mot »)
    r"\b(?:a (?:reproduire|recopier|reprendre|copier|citer|retranscrire|transcrire)|"
    r"(?:doit|doivent|devra|devront|est|sont|etre) (?:etre )?(?:reprodui|recopie|repris|copie|cite|"
    r"retranscrit)\w*|"
    r"reproduisez|recopiez|reprenez|copiez|citez|"
    r"retranscrivez) (?:[\w']+ ){0,2}?(?:tel(?:le)?s? quel(?:le)?s?|mot pour mot|mot a mot|a l'identique|"
    r"textuellement|"
    r"in extenso|verbatim|a la lettre|sans (?:modification|reformulation|changement|la modifier|"
    r"le modifier))|"
    # a citation number dictated (« source à citer comme [6] »)
    r"\ba citer (?:comme|en tant que|sous) (?:\[|la |le |source|reference|numero)|"
    # a redirection from now on (« renvoyer désormais les salariés vers… », « orientez dorénavant… »)
    r"\b(?:renvoy|redirig|orient|dirig|envoy)(?:er|ez) (?:desormais|dorenavant|a present|systematiquement|"
    r"plutot|uniquement|maintenant|toujours)\b|"
    r"\b(?:desormais|dorenavant|a present|a l'avenir),? (?:renvoy|redirig|orient|dirig)(?:er|ez)\b|"
    # instructions in another language: German, Spanish, Italian, more English
    r"\b(?:in|bei) (?:jeder|allen|jede|ihrer|deiner|der) antwort(?:en)?\b|\bantwort(?:en)? (?:immer|stets)\b|"
    r"\bbitte (?:[\w.,:]+ ){0,5}?(?:zitieren|angeben|erwahnen|nennen|einfugen|hinzufugen|schreiben|"
    r"ubernehmen|mitteilen|verweisen|weiterleiten|ubersetzen|antworten|ignorieren)\b|"
    r"\b(?:ignoriere|ignorieren sie|vergiss|vergessen sie)\b|"
    r"\b(?:hinweis|anweisung|anweisungen|nachricht) (?:fur|an) (?:den|die|das) (?:assistenten|ki|modell|"
    r"bot)\b|"
    r"\ben (?:cada|toda|todas las|cualquier|sus|tus|las) respuestas?\b|"
    r"\b(?:por favor|siempre),? (?:incluya|incluir|indique|indicar|mencione|mencionar|cite|citar|copie|"
    r"copiar|"
    r"reproduzca|responda|anada|agregue)\b|\bnota para el (?:asistente|modelo)\b|"
    r"\b(?:in|nella|nelle) (?:ogni|ciascuna|tutte le|qualsiasi|sua|tua|le) rispost[ae]\b|"
    r"\b(?:per favore|sempre),? (?:includere|includi|indicare|indica|citare|cita|menzionare|menziona|"
    r"copiare|riportare|riporta|rispondere)\b|\bnota per l'(?:assistente|ia)\b|"
    r"\bin (?:all|the|every|each) (?:answers?|repl(?:y|ies)|responses?)\b|"
    r"\balways (?:mention|include|cite|quote|say|state|refer|give|add|tell|redirect|send)\b|"
    r"\b(?:please|kindly) (?:quote|include|mention|cite|copy|add|insert|tell|give|refer)\b|"
    r"\b(?:copy|reproduce|quote|paste)\w* (?:[\w']+ ){0,2}?(?:verbatim|word for word|as is|exactly)\b|"
    r"\b(?:redirect|refer|send|point) (?:all |every )?(?:users|employees|staff|people|readers|them)\b"
)
_EDITORIAL_WORDS = (
    "repon",
    "courriel",
    "brouillon",
    "synthes",
    "message",
    "mail",
    "pose",
    "interroge",
    "demande",
    "ecri",
    "renseign",
    "quel",
    "mot",
    "identique",
    "textuellement",
    "extenso",
    "verbatim",
    "lettre",
    "sans",
    "citer",
    "desormais",
    "dorenavant",
    "present",
    "systematiquement",
    "plutot",
    "uniquement",
    "maintenant",
    "toujours",
    "avenir",
    "antwort",
    "bitte",
    "ignorier",
    "vergiss",
    "vergessen",
    "hinweis",
    "anweisung",
    "nachricht",
    "respuesta",
    "favor",
    "siempre",
    "nota",
    "rispost",
    "sempre",
    "answer",
    "repl",
    "response",
    "always",
    "please",
    "kindly",
    "copy",
    "reproduce",
    "quote",
    "paste",
    "users",
    "employees",
    "staff",
    "people",
    "readers",
    "them",
)
_WORD = re.compile(r"[a-z]+")


# The tool called by its name (« Assistants, indiquez… », « : IA, ajoute… »).
_VOCATIVE = re.compile(
    r"(?:^|[:;.!?«(\[—–-])\s*(?:chers? |les )?(?:assistants?|ia|modeles?|bots?|chatbots?|robots?|llms?)\s*,"
)
# A label addressed to the tool (« [assistant : … », « — IA : », « Note to the assistant: »): the
# name before « : », then what precedes it (cheaper than one pattern tried at every position).
_LABEL = re.compile(
    r"\b(?:assistants?|ia|ai|llm|bot|chatbot|modeles?|model|outils?|redacteurs?|systeme|system|"
    r"generateur)\s*:"
)
# The same label with one or two words naming which one (« (Assistant RH : … », « [Outil paie : »),
# in brackets only (« Outils numériques : » heads an ordinary paragraph), not a person (« assistant
# maternel »).
_LABEL_QUALIFIED = re.compile(
    r"[\[(«{]\s*(?:(?:note|message|consigne)s? (?:pour|a|aux) )?(?:l'|les? |la )?"
    r"(?:assistants?|ia|ai|llm|bot|chatbot|modeles?|model|outils?|redacteurs?|systeme|generateur)"
    rf"(?:\s+(?!{_HUMAN_ASSISTANTS})[\w'-]+){{1,2}}\s*:"
)
_LABEL_OPENER = re.compile(
    r"(?:^|[\[(«\"{|]|\s[-—–]|"
    r"\b(?:note|message|consigne|instruction)s? (?:to|for|pour|a|aux) (?:the |l'|les |la )?)\s*$"
)
# A key of structured data (YAML, JSON) holding instructions: ``ai_instructions:``,
# ``"assistant_directive":``, ``answer_must_include:``, ``"prompt":``.
_KEY_STEMS = (
    r"(?:consigne|instruction|directive|redaction|redactionnel|prompt|reponse|mention_obligatoire|"
    r"a_(?:reproduire|citer|inclure|mentionner|indiquer|communiquer))"
)
_DATA_KEY = re.compile(
    r"\b[\w-]*(?:ai|llm|bot|assistant|prompt|model|system)_[\w-]*\"?\s*[:=]|"
    r"_(?:instructions?|directives?|prompt|override|must_include|rules?)\"?\s*[:=]|"
    r"\"(?:instructions?|directives?|prompt|system)\"\s*:|\b(?:answer|reply|response)_\w+\"?\s*[:=]|"
    # a key naming a writing rule, in any case style: ``consigne_redaction:``, ``"assistantInstruction":``
    rf"\b(?=[\w-]*[_-])[\w-]*{_KEY_STEMS}[\w-]*\"?(?::|\s*=)|\"[\w-]*{_KEY_STEMS}[\w-]*\"\s*:"
)
_BACK_REFERENCE = re.compile(
    r"\b(?:ci-dessus|ce (?:numero|lien|site|montant|chiffre|contact|courriel|portail)|"
    r"cette (?:adresse|information|phrase|mention|url|reference|consigne)|ces (?:informations|coordonnees)|"
    r"cela)\b"
)


# Letters that look like Latin ones (Cyrillic, Greek): a detector reading « Ιnstructiоn » as a
# foreign word would miss it. One character for one, applied before folding.
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХаеорсухіјѕԁӏІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαικνρτυʼ",
    "ABEKMHOPCTXaeopcyxijsdlIJSABEZHIKMNOPTYXoaikvptu'",
)
_STYLED = re.compile(r"[^\x00-\u024f\u2000-\u206f\u20ac]")


def latin(text: str) -> str:
    """Look-alike and styled letters (𝐚, ａ) read as plain Latin ones, one character for one."""
    if "’" in text:
        text = text.replace("’", "'")
    if not _STYLED.search(text):  # ASCII, Latin accents, common punctuation: nothing more to do
        return text
    return _STYLED.sub(lambda m: _plain_char(m.group(0)), text.translate(_LOOKALIKES))


@lru_cache(maxsize=2048)
def _plain_char(c: str) -> str:
    n = unicodedata.normalize("NFKC", c.translate(_LOOKALIKES))
    return n if len(n) == 1 else c


@lru_cache(maxsize=4 * PASSAGE_CACHE)  # titles and KB sentences come back draft after draft
def is_instruction(sentence: str) -> bool:
    """A sentence addressed to the drafting tool (folded French, English markers too)."""
    s = fold(latin(_HIDDEN.sub("", sentence) if _HIDDEN.search(sentence) else sentence))
    if _IGNORE.search(s) or _SPEAKS_TO_TOOL.search(s):
        return True
    if any(w.startswith(_EDITORIAL_WORDS) for w in _WORD.findall(s)) and _EDITORIAL.search(s):
        return True
    if ("_" in s or '"' in s) and _DATA_KEY.search(s):
        return True
    if ":" in s and (
        any(_LABEL_OPENER.search(s, 0, m.start()) for m in _LABEL.finditer(s)) or _LABEL_QUALIFIED.search(s)
    ):
        return True
    return bool((_ADDRESSEE.search(s) or _VOCATIVE.search(s)) and _ORDER.search(s))


@lru_cache(maxsize=PASSAGE_CACHE)
def instruction_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of ``text`` that address the tool (comments, then instruction lines)."""
    spans = [(m.start(), m.end()) for m in _COMMENT.finditer(text)]
    offset, carry = 0, ""
    for line in text.split("\n"):
        start_of_line, offset = offset, offset + len(line) + 1
        # the body of an instruction heading (« ### Instructions : »), of a structured-data key
        # (``ai_instructions: |`` and its indented lines), everything after a fake end of document
        if (
            carry == "rest"
            or (carry == "block" and line.strip())
            or (carry == "indent" and line[:1] in (" ", "\t") and line.strip())
        ):
            spans.append((start_of_line, start_of_line + len(line)))
            continue
        carry = ""
        at = start_of_line
        for sentence in split_sentences(_COMMENT.sub(lambda m: " " * len(m.group(0)), line)):
            found = line.find(sentence, at - start_of_line)
            begin = start_of_line + max(found, 0)
            at = begin + len(sentence)
            if is_instruction(sentence):
                back = _BACK_REFERENCE.search(fold(latin(sentence))) is not None
                spans.append((start_of_line if back else begin, start_of_line + len(line)))
                carry = _opens_block(line[max(found, 0) :])
                break
    return tuple(sorted(spans))


def _opens_block(rest: str) -> str:
    """What an instruction line announces: the rest of the text after a fake end of document, an
    indented block after a key ending with « | » / « > », the next lines after a short heading or
    a line ending with « : »; "" when nothing."""
    rest = rest.strip()
    if re.search(_END_OF_DOCUMENT, fold(latin(rest))):
        return "rest"
    if rest.endswith(("|", ">", "|-", ">-")):
        return "indent"
    return "block" if rest.endswith(":") or (rest.startswith("#") and len(rest.split()) <= 6) else ""


def without_instructions(text: str) -> str:
    """The text with its instruction spans removed (kept lines stay in place)."""
    spans = instruction_spans(text)
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        if start >= last:
            parts.append(text[last:start])
            last = end
        else:
            last = max(last, end)
    parts.append(text[last:])
    return re.sub(r"[ \t]{2,}", " ", "".join(parts)).strip()


def has_instructions(passage: Passage) -> bool:
    return bool(instruction_spans(passage.text) or is_instruction(passage.title))


def clean_passage(passage: Passage) -> Passage:
    """The passage as a source: without what it says to the tool (a title that does is blanked)."""
    if not has_instructions(passage):
        return passage
    title = "" if is_instruction(passage.title) else passage.title
    return replace(passage, text=without_instructions(passage.text), title=title)
