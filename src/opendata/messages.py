"""What each finding means, in French (default) and English: what is wrong and how to fix it."""

from __future__ import annotations

from typing import Any

from opendata.report import Problem

_DATE_FORMATS = {
    "fr": {"%d": "JJ", "%m": "MM", "%Y": "AAAA", "%H": "HH", "%M": "MM", "%S": "SS"},
    "en": {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%H": "HH", "%M": "MM", "%S": "SS"},
}


def _date_format(fmt: str, lang: str) -> str:
    if fmt in ("default", "any"):
        fmt = "%Y-%m-%d"
    for code, word in _DATE_FORMATS[lang].items():
        fmt = fmt.replace(code, word)
    return fmt


def _localised_number(example: str, field: dict[str, Any]) -> str:
    """Write a schema example (``1200000``, ``48.85661``) the way the steward's file does
    (``1 200 000``, ``48,85661``). Examples stay in plain notation in the schemas because
    frictionless-py checks them without the field's decimalChar and groupChar."""
    whole, _, decimals = example.partition(".")
    group = field.get("groupChar")
    if group and whole.lstrip("-").isdigit():
        whole = f"{int(whole):,}".replace(",", group)
    return whole + (field.get("decimalChar", ".") + decimals if decimals else "")


def expected(field: dict[str, Any], lang: str) -> str:
    """What a cell of ``field`` should look like, in words, with the contract's example."""
    ftype = field.get("type", "string")
    fr = lang == "fr"
    if ftype in ("integer", "year"):
        text = "un nombre entier" if fr else "a whole number"
    elif ftype == "number":
        decimal = field.get("decimalChar", ".")
        if fr:
            text = "un nombre" + (" avec une virgule décimale" if decimal == "," else "")
        else:
            text = "a number" + (" with a decimal comma" if decimal == "," else "")
    elif ftype in ("date", "datetime"):
        fmt = _date_format(field.get("format", "default"), lang)
        text = f"une date au format {fmt}" if fr else f"a date written {fmt}"
    elif ftype == "boolean":
        words = " / ".join(field.get("trueValues", ["true"]) + field.get("falseValues", ["false"]))
        text = f"l'une des valeurs {words}" if fr else f"one of {words}"
    else:
        text = "un texte" if fr else "a text"
    example = field.get("example")
    if example is not None and ftype == "number":
        example = _localised_number(str(example), field)
    if example is not None:
        text += f" (par exemple « {example} »)" if fr else f" (for example “{example}”)"
    return text


def _q(value: Any, lang: str) -> str:
    return f"« {value} »" if lang == "fr" else f"“{value}”"


def _constraint(p: Problem, lang: str) -> str:
    fr = lang == "fr"
    name, bound = p.params.get("constraint"), p.params.get("bound")
    field = p.params.get("field", {})
    cell = _q(p.cell, lang)
    if name == "required":
        identifies = field.get("constraints", {}).get("unique")
        return (
            (
                "Cellule vide alors que la colonne est obligatoire. Renseignez une valeur : "
                if fr
                else "Empty cell in a required column. Fill in "
            )
            + expected(field, lang)
            + "."
            + (
                ""
                if not identifies
                else " Cette colonne identifie chaque ligne : sans elle, la ligne ne peut pas "
                "être publiée."
                if fr
                else " This column identifies each row: without it, the row cannot be published."
            )
        )
    if name == "enum":
        bound = bound or []
        allowed = ", ".join(_q(v, lang) for v in bound)
        return (
            f"{cell} n'est pas une valeur permise. Valeurs permises : {allowed}."
            if fr
            else f"{cell} is not an allowed value. Allowed values: {allowed}."
        )
    if name == "pattern":
        hint = field.get("description", "")
        return (
            f"{cell} n'a pas la forme attendue. {hint} Exemple : {_q(field.get('example'), lang)}."
            if fr
            else f"{cell} does not have the expected form. "
            f"Example: {_q(field.get('example'), lang)}."
        )
    if name == "minimum":
        return (
            f"{cell} est inférieur au minimum permis ({bound})."
            if fr
            else f"{cell} is below the minimum allowed ({bound})."
        )
    if name == "maximum":
        return (
            f"{cell} dépasse le maximum permis ({bound})."
            if fr
            else f"{cell} is above the maximum allowed ({bound})."
        )
    if name == "minLength":
        return (
            f"{cell} est trop court (au moins {bound} caractères)."
            if fr
            else f"{cell} is too short (at least {bound} characters)."
        )
    if name == "maxLength":
        return (
            f"{cell} est trop long (au plus {bound} caractères)."
            if fr
            else f"{cell} is too long (at most {bound} characters)."
        )
    return f"{cell}: {name} {bound}"


def _row_constraint(p: Problem, lang: str) -> str:
    fr = lang == "fr"
    rule, other = p.params.get("rule"), _q(p.params.get("other"), lang)
    cell = _q(p.cell, lang)
    if rule == "not-before":
        return (
            f"La date {cell} est antérieure à celle de la colonne {other} de la même ligne. "
            "Vérifiez les deux dates."
            if fr
            else f"The date {cell} is earlier than the {other} of the same row. Check both dates."
        )
    if rule == "zero-implies-zero":
        return (
            f"{cell} participants alors que la colonne {other} vaut 0 : sans atelier, il ne peut "
            "pas y avoir de participant. Corrigez l'une des deux valeurs."
            if fr
            else f"{cell} participants while {other} is 0: no workshop means no participant."
        )
    if rule == "required-unless":
        values = ", ".join(_q(v, lang) for v in p.params.get("values", []))
        return (
            f"Cellule vide : elle n'est permise que si la colonne {other} vaut {values}. "
            "Renseignez la date ou corrigez l'état."
            if fr
            else f"Empty cell: allowed only when {other} is {values}. Fill in the date."
        )
    if rule == "age-between":
        low, high = p.params.get("minimum"), p.params.get("maximum")
        bounds = (
            (
                f"entre {low} et {high} ans"
                if low is not None and high is not None
                else (f"au plus {high} ans" if high is not None else f"au moins {low} ans")
            )
            if fr
            else (
                f"between {low} and {high}"
                if low is not None and high is not None
                else (f"at most {high}" if high is not None else f"at least {low}")
            )
        )
        condition = p.params.get("condition")
        when = ""
        if condition:
            values = ", ".join(_q(v, lang) for v in p.params.get("values", []))
            when = f" pour le statut {values}" if fr else f" for status {values}"
        return (
            f"Date de naissance {cell} : l'âge à la date de la colonne {other} doit être "
            f"{bounds}{when}. Vérifiez la date de naissance et la date d'entrée."
            if fr
            else f"Birth date {cell}: age on {other} must be {bounds}{when}."
        )
    if rule == "allowed-combinations":
        return (
            f"{cell} n'est pas possible avec la valeur de la colonne {other} de cette ligne. "
            "Vérifiez le programme et le statut."
            if fr
            else f"{cell} is not possible with the {other} of this row."
        )
    if rule == "required-if-filled":
        return (
            f"Cellule vide alors que la colonne {other} est renseignée : indiquez Oui ou Non."
            if fr
            else f"Empty cell while {other} is filled: fill it in."
        )
    if rule == "empty-unless-filled":
        return (
            f"{cell} est renseigné alors que la colonne {other} est vide. Videz la cellule ou "
            f"renseignez {other}."
            if fr
            else f"{cell} is filled while {other} is empty."
        )
    return f"{cell}: {rule}"


class MessageError(Exception):
    """A finding's message could not be written (a parameter missing): a bug of ours."""


def message(p: Problem, lang: str = "fr", strict: bool = False) -> str:
    """The sentence a steward reads for one finding.

    Never raises for a steward (a report with one clumsy sentence beats no report): a finding
    whose parameters do not fit its template gets a plain sentence naming its kind.
    ``strict`` raises :class:`MessageError` instead, which the sweep tests use."""
    try:
        return _message(p, lang)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if strict:
            raise MessageError(f"{p.type}: {type(exc).__name__} {exc}") from exc
        fr = lang == "fr"
        where = f" ({_q(p.cell, lang)})" if p.cell else ""
        return (
            f"Problème de type « {p.type} »{where}. Vérifiez cette cellule."
            if fr
            else f"Problem of kind “{p.type}”{where}. Check this cell."
        )


def _message(p: Problem, lang: str) -> str:
    fr = lang == "fr"
    cell = _q(p.cell, lang)
    prm = p.params
    t = p.type
    if t == "type-error":
        return (
            f"{cell} n'est pas valide : attendu {expected(prm['field'], lang)}."
            if fr
            else f"{cell} is not valid: expected {expected(prm['field'], lang)}."
        )
    if t == "constraint-error":
        return _constraint(p, lang)
    if t == "row-constraint":
        return _row_constraint(p, lang)
    if t in ("primary-key", "unique-error") and "first_row" not in prm:
        return (
            "Identifiant vide : chaque ligne doit en avoir un."
            if fr
            else "Empty identifier: every row needs one."
        )
    if t in ("primary-key", "unique-error"):
        return (
            f"{cell} figure déjà à la ligne {prm['first_row']} : chaque valeur doit être unique. "
            "Supprimez le doublon ou corrigez l'identifiant."
            if fr
            else f"{cell} already appears on row {prm['first_row']}: values must be unique."
        )
    if t == "foreign-key" and prm.get("scope") == "all":
        return (
            f"{cell} ne figure dans aucune livraison de « {prm['reference']} ». Vérifiez le code "
            "ou demandez d'abord l'ajout du site."
            if fr
            else f"{cell} is in no delivery of “{prm['reference']}”. Check the code."
        )
    if t == "repeated-record":
        return (
            f"{prm['count']} ligne(s) renvoyée(s) à l'identique (la première à la ligne "
            f"{prm['first']}) : elles sont comptées une seule fois."
            if fr
            else f"{prm['count']} row(s) re-sent identically (first on row {prm['first']}): "
            "counted once."
        )
    if t == "conflicting-record":
        return (
            f"{cell} a déjà été livré dans {prm['other']} avec d'autres valeurs : une session "
            "ne peut pas changer. Corrigez l'un des deux fichiers et renvoyez-le."
            if fr
            else f"{cell} was delivered in {prm['other']} with other values: fix one file."
        )
    if t == "ambiguous-time":
        return (
            f"{prm['count']} session(s) commencent pendant l'heure répétée du changement d'heure "
            f"d'octobre ({prm['day']}, 02:00–02:59) : elles sont lues comme la première "
            "occurrence, en heure d'été (UTC+2)."
            if fr
            else f"{prm['count']} session(s) start in the repeated October hour ({prm['day']}): "
            "read as the first occurrence, summer time (UTC+2)."
        )
    if t == "nonexistent-time":
        return (
            f"{prm['count']} session(s) commencent à une heure qui n'existe pas ({prm['day']}, "
            "02:00–02:59, passage à l'heure d'été) : elles sont lues en heure d'hiver (UTC+1)."
            if fr
            else f"{prm['count']} session(s) start in the hour skipped in March ({prm['day']}): "
            "read as winter time (UTC+1)."
        )
    if t == "outside-period":
        return (
            f"{prm['count']} session(s) datées d'un autre mois que le fichier ({prm['months']}) : "
            "elles sont publiées avec leur mois."
            if fr
            else f"{prm['count']} session(s) from another month ({prm['months']}): published "
            "with their own month."
        )
    if t == "foreign-key":
        return (
            f"{cell} ne figure pas dans la dernière livraison de « {prm['reference']} » "
            f"({prm['file']}). Vérifiez l'identifiant."
            if fr
            else f"{cell} is not in the newest delivery of “{prm['reference']}” ({prm['file']})."
        )
    if t == "foreign-key-unchecked":
        return (
            f"Identifiants non vérifiés : aucune livraison lisible de « {prm['reference']} » "
            f"dans {prm['raw_dir']}. Indiquez le dossier des livraisons avec --raw-dir "
            "(par exemple --raw-dir /chemin/du/projet/raw) pour que ces identifiants soient "
            "vérifiés."
            if fr
            else f"Identifiers not checked: no readable delivery of “{prm['reference']}” "
            f"in {prm['raw_dir']}. Give the deliveries' folder with --raw-dir so that they "
            "are checked."
        )
    if t == "siren-error":
        return (
            f"{cell} n'est pas un SIREN valide (9 chiffres et clé de contrôle). "
            "Recopiez-le depuis l'avis de situation INSEE."
            if fr
            else f"{cell} is not a valid SIREN (9 digits with a check digit)."
        )
    if t == "siret-error":
        return (
            f"{cell} n'est pas un SIRET valide (14 chiffres et clé de contrôle). "
            "Recopiez-le depuis l'avis de situation INSEE."
            if fr
            else f"{cell} is not a valid SIRET (14 digits with a check digit)."
        )
    if t == "phone-error":
        return (
            f"{cell} n'est pas un numéro de téléphone français valide. "
            "Écrivez-le 01 44 55 66 77, 01.44.55.66.77 ou +33 1 44 55 66 77."
            if fr
            else f"{cell} is not a valid French phone number (01 44 55 66 77)."
        )
    if t == "email-error":
        return (
            f"{cell} contient une adresse électronique mal formée. "
            "Séparez plusieurs adresses par ; ou ,."
            if fr
            else f"{cell} holds a malformed e-mail address; separate several with ;."
        )
    if t == "url-error":
        return (
            f"{cell} contient une adresse web mal formée (elle doit commencer par http:// "
            "ou https://)."
            if fr
            else f"{cell} holds a malformed web address (start with https://)."
        )
    if t == "opening-hours-error":
        return (
            f"{cell} n'est pas dans la syntaxe opening_hours d'OpenStreetMap. "
            "Exemple : « Mo-Fr 10:00-18:00; Sa 10:00-13:00 »."
            if fr
            else f"{cell} is not OpenStreetMap opening_hours syntax "
            "(e.g. “Mo-Fr 10:00-18:00; Sa 10:00-13:00”)."
        )
    if t == "label-error":
        unknown = ", ".join(_q(u, lang) for u in prm["unknown"])
        allowed = " ; ".join(prm["allowed"])
        return (
            f"{unknown} ne figure pas dans la liste nationale. Libellés permis : {allowed}."
            if fr
            else f"{unknown} is not in the national list. Allowed: {allowed}."
        )
    if t == "arrondissement-error":
        return (
            f"{cell} n'est pas un arrondissement de Paris (1 à 20). "
            "Écrivez 11, 11e, Paris 11e ou 75011."
            if fr
            else f"{cell} is not a Paris arrondissement (1 to 20)."
        )
    if t == "coordinates-swapped":
        return (
            f"Latitude et longitude semblent inversées ({cell} est une longitude parisienne). "
            f"Échangez les colonnes {_q(p.label, lang)} et {_q(prm['other'], lang)}."
            if fr
            else f"Latitude and longitude look swapped ({cell} is a Paris longitude)."
        )
    if t == "coordinates-outside-paris" and prm.get("area") == "near":
        low, high = prm[prm["axis"]]
        return (
            f"{cell} est hors de Paris et des départements voisins (attendu entre {low} et "
            f"{high}). Vérifiez la coordonnée."
            if fr
            else f"{cell} lies outside Paris and its neighbouring departments "
            f"(expected {low} to {high})."
        )
    if t == "coordinates-outside-paris":
        low, high = prm[prm["axis"]]
        return (
            f"{cell} est hors de Paris (attendu entre {low} et {high}). Vérifiez la coordonnée."
            if fr
            else f"{cell} lies outside Paris (expected {low} to {high})."
        )
    if t == "outside-paris":
        return (
            f"Code postal {cell} hors de Paris : le site est accepté et publié sans "
            "arrondissement. Vérifiez qu'il s'agit bien d'un site de la Ville hors de Paris "
            "(une fourrière, par exemple)."
            if fr
            else f"Postal code {cell} lies outside Paris: the site is accepted and published "
            "without an arrondissement. Check that it is a City site outside Paris (a car pound)."
        )
    if t == "several-periods":
        return (
            f"Ligne du mois {cell} dans une livraison du mois {prm['main']}."
            if fr
            else f"A row of month {cell} in a delivery of month {prm['main']}."
        )
    if t == "missing-label":
        return (
            f"Colonne obligatoire absente : {_q(p.label, lang)}. Ajoutez-la à l'en-tête."
            if fr
            else f"Required column missing: {_q(p.label, lang)}. Add it to the header."
        )
    if t == "extra-label":
        return (
            f"Colonne inconnue {_q(p.label, lang)} : elle sera ignorée, rien n'en sera publié."
            if fr
            else f"Unknown column {_q(p.label, lang)}: it is ignored and not published."
        )
    if t == "duplicate-label":
        return (
            f"La colonne {_q(p.label, lang)} apparaît deux fois. Supprimez l'une des deux."
            if fr
            else f"Column {_q(p.label, lang)} appears twice. Remove one."
        )
    if t == "blank-row" and p.severity == "error":
        return "Ligne vide : supprimez-la." if fr else "Blank row: remove it."
    if t == "blank-row":
        return "Ligne vide : elle est ignorée." if fr else "Blank row: ignored."
    if t == "missing-cell":
        return (
            "Cellule manquante : la ligne s'arrête avant cette colonne (fichier tronqué ?)."
            if fr
            else "Missing cell: the row ends before this column (truncated file?)."
        )
    if t == "extra-cell":
        return (
            f"Cellule en trop en colonne {prm['column']} ({cell}), hors de l'en-tête. "
            "Supprimez-la ou ajoutez un en-tête."
            if fr
            else f"Extra cell in column {prm['column']} ({cell}), beyond the header."
        )
    if t == "empty-table":
        return (
            "Le fichier ne contient aucune ligne de données."
            if fr
            else "The file holds no data row."
        )
    if t not in _UNREADABLE:
        raise KeyError(f"no message for {t!r}")
    fr_text, en_text = _UNREADABLE[t]
    return (fr_text if fr else en_text).format(kind=t, **prm)


_UNREADABLE = {
    "not-found": ("Fichier introuvable : {path}.", "File not found: {path}."),
    "not-a-file": ("{path} est un dossier, pas un fichier.", "{path} is a folder, not a file."),
    "os-error": ("Lecture impossible : {detail}.", "Cannot read the file: {detail}."),
    "empty": ("Le fichier est vide.", "The file is empty."),
    "binary": (
        "Le fichier n'est pas un texte CSV (octets nuls : UTF-16 ou binaire ?). "
        "Enregistrez-le en CSV UTF-8.",
        "The file is not CSV text (NUL bytes: UTF-16 or binary?). Save it as CSV UTF-8.",
    ),
    "encoding": (
        "Encodage non reconnu (attendu : {encodings}). Enregistrez le fichier en CSV UTF-8.",
        "Unrecognised encoding (expected: {encodings}). Save the file as CSV UTF-8.",
    ),
    "malformed-csv": (
        "CSV illisible à partir de la ligne {row} ({detail}) : guillemet non fermé ou "
        "fichier tronqué ?",
        "Unreadable CSV from row {row} ({detail}): unclosed quote or truncated file?",
    ),
    "unexpected-json": (
        "Un fichier CSV est attendu, celui-ci est du JSON : enregistrez les données en CSV.",
        "A CSV file is expected; this one is JSON: save the data as CSV.",
    ),
    "broken-json": (
        "Fichier JSON illisible ({detail}) : renvoyez l'export GeoJSON complet, tel que le "
        "portail le donne.",
        "Unreadable JSON file ({detail}): send the whole GeoJSON export as the portal gives it.",
    ),
    "not-feature-collection": (
        "Ce fichier JSON n'est pas un export GeoJSON (une FeatureCollection) : exportez le jeu "
        "de données au format GeoJSON, ou envoyez-le en CSV.",
        "This JSON file is not a GeoJSON export (a FeatureCollection): export the dataset as "
        "GeoJSON, or send it as CSV.",
    ),
    "truncated-gzip": (
        "Archive gzip tronquée ou corrompue : renvoyez le fichier complet.",
        "Truncated or corrupt gzip archive: send the whole file again.",
    ),
    "delimiter": (
        "Séparateur « {found} » trouvé, « {expected} » attendu : réenregistrez le fichier "
        "avec le séparateur « {expected} ».",
        "Separator “{found}” found, “{expected}” expected.",
    ),
    "expected-excel": (
        "Un classeur Excel (.xlsx) est attendu, le fichier est de type {found}.",
        "An Excel workbook (.xlsx) is expected; this file is {found}.",
    ),
    "expected-csv": (
        "Un fichier CSV est attendu, le fichier est un classeur Excel ({found}) : "
        "enregistrez-le en CSV.",
        "A CSV file is expected; this is an Excel workbook ({found}): save it as CSV.",
    ),
    "broken-excel": (
        "Classeur Excel illisible ou tronqué ({detail}).",
        "Unreadable or truncated Excel workbook ({detail}).",
    ),
    "missing-sheet": (
        "Feuille « {sheet} » introuvable (feuilles présentes : {sheets}).",
        "Sheet “{sheet}” not found (sheets: {sheets}).",
    ),
    "no-header": (
        "Ligne d'en-tête introuvable dans les premières lignes. Colonnes attendues : {expected}.",
        "No header row found in the first rows. Expected columns: {expected}.",
    ),
}


_UNREADABLE.update(
    {
        "no-delivery": (
            "Aucune livraison dans {folder} : déposez au moins un fichier de la source.",
            "No delivery in {folder}: add at least one file of the source.",
        ),
        "special-file": (
            "{path} n'est pas un fichier ordinaire ({nature}) : envoyez le fichier lui-même, pas "
            "un lien ni un fichier spécial.",
            "{path} is not a regular file ({nature}): send the file itself, not a link.",
        ),
        "too-large": (
            "Fichier refusé : {what} dépasse la limite de {limit}. Envoyez une livraison par "
            "période, ou demandez à l'équipe données de relever la limite si le fichier est "
            "vraiment de cette taille.",
            "File refused: it is larger than the limit of {limit}. Send one delivery per "
            "period, or ask the data team to raise the limit.",
        ),
        "too-many-rows": (
            "Fichier refusé : plus de {limit} lignes, la limite de cette source. Vérifiez que "
            "c'est le bon fichier (une seule période, pas de lignes vides formatées jusqu'en bas "
            "de la feuille).",
            "File refused: more than {limit} rows, the limit of this source. Check it is the "
            "right file (one period, no formatted empty rows down the sheet).",
        ),
        "too-many-columns": (
            "Fichier refusé : la ligne {row} a des cellules au-delà de la colonne {limit}, la "
            "limite de cette source. Supprimez les colonnes en trop (ou la mise en forme "
            "appliquée à des colonnes entières).",
            "File refused: row {row} has cells beyond column {limit}, the limit of this "
            "source. Delete the extra columns.",
        ),
        "cell-too-long": (
            "Fichier refusé : une cellule de la ligne {row} dépasse {limit} caractères. "
            "Vérifiez le contenu de cette ligne (un texte collé par erreur ?).",
            "File refused: a cell of row {row} is longer than {limit} characters.",
        ),
        "xml-entities": (
            "Classeur refusé : sa partie {part} déclare des entités XML (possible attaque). "
            "Réenregistrez le fichier depuis Excel ou LibreOffice.",
            "Workbook refused: its part {part} declares XML entities. Save it again from a "
            "spreadsheet program.",
        ),
        "internal-error": (
            "Ce fichier a provoqué une erreur du programme ({error}) : il est gardé en "
            "quarantaine, les autres fichiers ont été traités. C'est un défaut d'opendata, pas "
            "de votre fichier : l'équipe données le corrigera et le relancera.",
            "This file caused a program error ({error}): it is kept in quarantine, the other "
            "files were processed. This is a defect of opendata, not of your file.",
        ),
        "unpublishable-name": (
            "Le nom {file} ne permet pas de publier ce fichier (forme attendue : {pattern}, "
            "par exemple sessions-2008-01.csv.gz pour le mois de janvier 2008) : renommez-le.",
            "The name {file} does not let this file be published (expected {pattern}, e.g. "
            "sessions-2008-01.csv.gz): rename it.",
        ),
        "unlabelled-column": (
            "La colonne {column} a des valeurs ({count} cellule(s), la première à la ligne "
            "{first}) mais pas d'en-tête : elle est ignorée, rien n'en sera publié. Donnez-lui "
            "l'en-tête du contrat qu'elle remplit, ou supprimez-la.",
            "Column {column} has values ({count} cell(s), the first on row {first}) but no "
            "header: it is ignored and not published.",
        ),
        "dated-by-mtime": (
            "Fichier {file} déposé à la main : daté du {date}, sa date de modification (son nom "
            "ne porte pas de date). Pour une date sûre, envoyez-le par le dépôt (opendata "
            "submit), qui note le jour de réception.",
            "File {file} placed by hand: dated {date}, its modification time (its name has no "
            "date). For a reliable date, send it through the intake (opendata submit).",
        ),
    }
)
