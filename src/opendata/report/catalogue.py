"""The words of every finding: problem type (or ``type:variant``) -> (French, English)
template. Adding a problem type means adding its entry here (:mod:`opendata.report.messages`
renders them; the sweep tests render every type the library emits in both languages)."""

from __future__ import annotations

# -- the catalogue ------------------------------------------------------------------------------
# Problem type (or "type:variant", see _key) -> (French, English) template. Templates take the
# finding's params, ``cell`` and ``label`` quoted as each language quotes, and what _computed
# adds (``expected``, ``other``, ``listed``...). A literal brace would be written {{ }}.
CATALOGUE: dict[str, tuple[str, str]] = {
    "type-error": (
        "{cell} n'est pas valide : attendu {expected}.",
        "{cell} is not valid: expected {expected}.",
    ),
    "constraint-error:required": (
        "Cellule vide alors que la colonne est obligatoire. Renseignez une valeur : "
        "{expected}.{identifies}",
        "Empty cell in a required column. Fill in {expected}.{identifies}",
    ),
    "constraint-error:enum": (
        "{cell} n'est pas une valeur permise. Valeurs permises : {permitted}.",
        "{cell} is not an allowed value. Allowed values: {permitted}.",
    ),
    "constraint-error:pattern": (
        "{cell} n'a pas la forme attendue. {hint} Exemple : {example}.",
        "{cell} does not have the expected form. Example: {example}.",
    ),
    "constraint-error:minimum": (
        "{cell} est inférieur au minimum permis ({bound}).",
        "{cell} is below the minimum allowed ({bound}).",
    ),
    "constraint-error:maximum": (
        "{cell} dépasse le maximum permis ({bound}).",
        "{cell} is above the maximum allowed ({bound}).",
    ),
    "constraint-error:minLength": (
        "{cell} est trop court (au moins {bound} caractères).",
        "{cell} is too short (at least {bound} characters).",
    ),
    "constraint-error:maxLength": (
        "{cell} est trop long (au plus {bound} caractères).",
        "{cell} is too long (at most {bound} characters).",
    ),
    "constraint-error:*": ("{cell}: {constraint} {bound}", "{cell}: {constraint} {bound}"),
    "row-constraint:not-before": (
        "La date {cell} est antérieure à celle de la colonne {other} de la même ligne. "
        "Vérifiez les deux dates.",
        "The date {cell} is earlier than the {other} of the same row. Check both dates.",
    ),
    "row-constraint:zero-implies-zero": (
        "{cell} participants alors que la colonne {other} vaut 0 : sans atelier, il ne peut "
        "pas y avoir de participant. Corrigez l'une des deux valeurs.",
        "{cell} participants while {other} is 0: no workshop means no participant.",
    ),
    "row-constraint:required-unless": (
        "Cellule vide : elle n'est permise que si la colonne {other} vaut {listed}. "
        "Renseignez la date ou corrigez l'état.",
        "Empty cell: allowed only when {other} is {listed}. Fill in the date.",
    ),
    "row-constraint:age-between": (
        "Date de naissance {cell} : l'âge à la date de la colonne {other} doit être "
        "{ages}{when}. Vérifiez la date de naissance et la date d'entrée.",
        "Birth date {cell}: age on {other} must be {ages}{when}.",
    ),
    "row-constraint:allowed-combinations": (
        "{cell} n'est pas possible avec la valeur de la colonne {other} de cette ligne. "
        "Vérifiez le programme et le statut.",
        "{cell} is not possible with the {other} of this row.",
    ),
    "row-constraint:required-if-filled": (
        "Cellule vide alors que la colonne {other} est renseignée : indiquez Oui ou Non.",
        "Empty cell while {other} is filled: fill it in.",
    ),
    "row-constraint:empty-unless-filled": (
        "{cell} est renseigné alors que la colonne {other} est vide. Videz la cellule ou "
        "renseignez {other}.",
        "{cell} is filled while {other} is empty.",
    ),
    "row-constraint:*": ("{cell}: {rule}", "{cell}: {rule}"),
    "primary-key:empty": (
        "Identifiant vide : chaque ligne doit en avoir un.",
        "Empty identifier: every row needs one.",
    ),
    "primary-key:repeated": (
        "{cell} figure déjà à la ligne {first_row}{same} : chaque valeur doit être unique. "
        "Supprimez le doublon ou corrigez l'identifiant.",
        "{cell} already appears on row {first_row}{same}: values must be unique.",
    ),
    "foreign-key:all": (
        "{cell} ne figure dans aucune livraison de « {reference} ». Vérifiez le code "
        "ou demandez d'abord l'ajout du site.",
        "{cell} is in no delivery of “{reference}”. Check the code.",
    ),
    "foreign-key": (
        "{cell} ne figure pas dans la dernière livraison de « {reference} » ({file}). "
        "Vérifiez l'identifiant.",
        "{cell} is not in the newest delivery of “{reference}” ({file}).",
    ),
    "foreign-key-unchecked": (
        "Identifiants non vérifiés : aucune livraison lisible de « {reference} » dans "
        "{raw_dir}. Indiquez le dossier des livraisons avec --raw-dir (par exemple --raw-dir "
        "/chemin/du/projet/raw) pour que ces identifiants soient vérifiés.",
        "Identifiers not checked: no readable delivery of “{reference}” in {raw_dir}. Give "
        "the deliveries' folder with --raw-dir so that they are checked.",
    ),
    "repeated-record": (
        "{count} ligne(s) renvoyée(s) à l'identique (la première à la ligne {first}) : elles "
        "sont comptées une seule fois.",
        "{count} row(s) re-sent identically (first on row {first}): counted once.",
    ),
    "conflicting-record": (
        "{cell} a déjà été livré dans {other_file} avec d'autres valeurs : une session ne "
        "peut pas changer. Corrigez l'un des deux fichiers et renvoyez-le.",
        "{cell} was delivered in {other_file} with other values: fix one file.",
    ),
    "ambiguous-time": (
        "{count} session(s) commencent pendant l'heure répétée du changement d'heure "
        "d'octobre ({day}, 02:00–02:59) : elles sont lues comme la première occurrence, en "
        "heure d'été (UTC+2).",
        "{count} session(s) start in the repeated October hour ({day}): read as the first "
        "occurrence, summer time (UTC+2).",
    ),
    "nonexistent-time": (
        "{count} session(s) commencent à une heure qui n'existe pas ({day}, 02:00–02:59, "
        "passage à l'heure d'été) : elles sont lues en heure d'hiver (UTC+1).",
        "{count} session(s) start in the hour skipped in March ({day}): read as winter time "
        "(UTC+1).",
    ),
    "outside-period": (
        "{count} session(s) datées d'un autre mois que le fichier ({months}) : elles sont "
        "publiées avec leur mois.",
        "{count} session(s) from another month ({months}): published with their own month.",
    ),
    "siren-error": (
        "{cell} n'est pas un SIREN valide (9 chiffres et clé de contrôle). Recopiez-le depuis "
        "l'avis de situation INSEE.",
        "{cell} is not a valid SIREN (9 digits with a check digit).",
    ),
    "siret-error": (
        "{cell} n'est pas un SIRET valide (14 chiffres et clé de contrôle). Recopiez-le depuis "
        "l'avis de situation INSEE.",
        "{cell} is not a valid SIRET (14 digits with a check digit).",
    ),
    "phone-error": (
        "{cell} n'est pas un numéro de téléphone français valide. Écrivez-le 01 44 55 66 77, "
        "01.44.55.66.77 ou +33 1 44 55 66 77.",
        "{cell} is not a valid French phone number (01 44 55 66 77).",
    ),
    "email-error": (
        "{cell} contient une adresse électronique mal formée. Séparez plusieurs adresses par ; "
        "ou ,.",
        "{cell} holds a malformed e-mail address; separate several with ;.",
    ),
    "url-error": (
        "{cell} contient une adresse web mal formée (elle doit commencer par http:// ou https://).",
        "{cell} holds a malformed web address (start with https://).",
    ),
    "opening-hours-error": (
        "{cell} n'est pas dans la syntaxe opening_hours d'OpenStreetMap. Exemple : « Mo-Fr "
        "10:00-18:00; Sa 10:00-13:00 ».",
        "{cell} is not OpenStreetMap opening_hours syntax (e.g. “Mo-Fr 10:00-18:00; Sa "
        "10:00-13:00”).",
    ),
    "label-error": (
        "{unknown_labels} ne figure pas dans la liste nationale. Libellés permis : {national}.",
        "{unknown_labels} is not in the national list. Allowed: {national}.",
    ),
    "arrondissement-error": (
        "{cell} n'est pas un arrondissement de Paris (1 à 20). Écrivez 11, 11e, Paris 11e ou "
        "75011.",
        "{cell} is not a Paris arrondissement (1 to 20).",
    ),
    "coordinates-swapped": (
        "Latitude et longitude semblent inversées ({cell} est une longitude parisienne). "
        "Échangez les colonnes {label} et {other}.",
        "Latitude and longitude look swapped ({cell} is a Paris longitude).",
    ),
    "coordinates-outside-paris:near": (
        "{cell} est hors de Paris et des départements voisins (attendu entre {low} et "
        "{high}). Vérifiez la coordonnée.",
        "{cell} lies outside Paris and its neighbouring departments (expected {low} to {high}).",
    ),
    "coordinates-outside-paris": (
        "{cell} est hors de Paris (attendu entre {low} et {high}). Vérifiez la coordonnée.",
        "{cell} lies outside Paris (expected {low} to {high}).",
    ),
    "outside-paris": (
        "Code postal {cell} hors de Paris : le site est accepté et publié sans arrondissement. "
        "Vérifiez qu'il s'agit bien d'un site de la Ville hors de Paris (une fourrière, par "
        "exemple).",
        "Postal code {cell} lies outside Paris: the site is accepted and published without an "
        "arrondissement. Check that it is a City site outside Paris (a car pound).",
    ),
    "several-periods": (
        "Ligne du mois {cell} dans une livraison du mois {main}.",
        "A row of month {cell} in a delivery of month {main}.",
    ),
    "missing-label": (
        "Colonne obligatoire absente : {label}. Ajoutez-la à l'en-tête.",
        "Required column missing: {label}. Add it to the header.",
    ),
    "extra-label": (
        "Colonne inconnue {label} : elle sera ignorée, rien n'en sera publié.",
        "Unknown column {label}: it is ignored and not published.",
    ),
    "duplicate-label": (
        "La colonne {label} apparaît deux fois. Supprimez l'une des deux.",
        "Column {label} appears twice. Remove one.",
    ),
    "blank-row:error": ("Ligne vide : supprimez-la.", "Blank row: remove it."),
    "blank-row:warning": ("Ligne vide : elle est ignorée.", "Blank row: ignored."),
    "missing-cell": (
        "Cellule manquante : la ligne s'arrête avant cette colonne (fichier tronqué ?).",
        "Missing cell: the row ends before this column (truncated file?).",
    ),
    "extra-cell": (
        "Cellule en trop en colonne {column} ({cell}), hors de l'en-tête. Supprimez-la ou "
        "ajoutez un en-tête.",
        "Extra cell in column {column} ({cell}), beyond the header.",
    ),
    "empty-table": (
        "Le fichier ne contient aucune ligne de données.",
        "The file holds no data row.",
    ),
    "contract-transition": (
        "Fichier accepté avec la version {version} du contrat, acceptée jusqu'au {until} "
        "seulement. La version {current} demande : {changes}. Adaptez votre fichier avant "
        "cette date.",
        "File accepted under version {version} of the contract, accepted until {until} only. "
        "Version {current} asks: {changes}. Adapt your file before that date.",
    ),
    "contract-version": (
        "La version {version} du contrat n'est pas (ou plus) acceptée ; versions acceptées : "
        "{accepted}.",
        "Version {version} of the contract is not (or no longer) accepted; accepted "
        "versions: {accepted}.",
    ),
}


# -- files that cannot be read, and the intake's own findings: plain templates of their params
CATALOGUE.update(
    {
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
            "Unreadable JSON file ({detail}): send the whole GeoJSON export as the portal "
            "gives it.",
        ),
        "not-feature-collection": (
            "Ce fichier JSON n'est pas un export GeoJSON (une FeatureCollection) : exportez le jeu "
            "de données au format GeoJSON, ou envoyez-le en CSV.",
            "This JSON file is not a GeoJSON export (a FeatureCollection): export the dataset as "
            "GeoJSON, or send it as CSV.",
        ),
        "header-too-long": (
            "Aucune fin de ligne dans les {limit} premiers octets : l'en-tête n'est pas une "
            "ligne de CSV (guillemet non fermé, ou fichier qui n'est pas un CSV). Enregistrez "
            "le fichier en CSV depuis le tableur et renvoyez-le.",
            "No line end in the first {limit}: the header is not a CSV line (an unclosed "
            "quote, or not a CSV file). Save the file as CSV from the spreadsheet and send it "
            "again.",
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
            "Ligne d'en-tête introuvable dans les premières lignes. Colonnes attendues : "
            "{expected}.",
            "No header row found in the first rows. Expected columns: {expected}.",
        ),
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
        "too-many-blank-rows": (
            "Fichier refusé : plus de {limit} lignes vides. Vérifiez que c'est bien l'export "
            "attendu (un fichier complété de lignes vides ?).",
            "File refused: more than {limit} empty records. Check this is the expected "
            "export (a file padded with empty lines?).",
        ),
        "too-many-ragged": (
            "Fichier refusé : plus de {limit} lignes n'ont pas autant de cellules que l'en-tête "
            "({columns}). Vérifiez le séparateur et que c'est bien l'export attendu (lignes "
            "vides ou coupées ?).",
            "File refused: more than {limit} records do not have as many cells as the header "
            "({columns}). Check the delimiter and that this is the expected export (empty or "
            "cut lines?).",
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


# A short name of each kind of finding, for the titles that group findings by kind (a steward
# reads "Valeur hors des règles", never ``constraint-error``). Unreadable files end a report at
# their one finding: they share one name.
KIND_TITLES: dict[str, tuple[str, str]] = {
    "type-error": ("Valeur d'un autre type que prévu", "Value of another type"),
    "constraint-error": (
        "Valeur hors des règles de la colonne",
        "Value outside the column's rules",
    ),
    "row-constraint": ("Règle entre colonnes non respectée", "Rule between columns broken"),
    "primary-key": ("Identifiant en double ou vide", "Identifier repeated or empty"),
    "unique-error": ("Valeur en double", "Repeated value"),
    "foreign-key": ("Référence inconnue", "Unknown reference"),
    "foreign-key-unchecked": ("Référence non vérifiée", "Reference not checked"),
    "missing-label": ("Colonne manquante", "Missing column"),
    "extra-label": ("Colonne en trop", "Extra column"),
    "duplicate-label": ("Colonne en double", "Repeated column"),
    "unlabelled-column": ("Colonne sans en-tête", "Column without a header"),
    "missing-cell": ("Cellule manquante", "Missing cell"),
    "extra-cell": ("Cellule en trop", "Extra cell"),
    "blank-row": ("Ligne vide", "Blank row"),
    "empty-table": ("Fichier sans données", "File without data"),
    "contract-transition": ("Version précédente du contrat", "Previous contract version"),
    "contract-version": ("Version du contrat refusée", "Contract version refused"),
    "siren-error": ("SIREN invalide", "Invalid SIREN"),
    "siret-error": ("SIRET invalide", "Invalid SIRET"),
    "phone-error": ("Téléphone invalide", "Invalid phone number"),
    "email-error": ("Adresse électronique invalide", "Invalid e-mail address"),
    "url-error": ("Adresse web invalide", "Invalid web address"),
    "arrondissement-error": ("Arrondissement invalide", "Invalid arrondissement"),
    "opening-hours-error": ("Horaires illisibles", "Unreadable opening hours"),
    "label-error": ("Libellé hors de la liste nationale", "Label outside the national list"),
    "coordinates-outside-paris": ("Coordonnées hors de Paris", "Coordinates outside Paris"),
    "coordinates-swapped": ("Latitude et longitude inversées", "Latitude and longitude swapped"),
    "outside-paris": ("Code postal hors de Paris", "Postcode outside Paris"),
    "outside-period": ("Ligne d'une autre période", "Row of another period"),
    "several-periods": ("Plusieurs périodes dans un fichier", "Several periods in one file"),
    "repeated-record": ("Enregistrement renvoyé", "Record sent again"),
    "conflicting-record": ("Enregistrement renvoyé différent", "Record sent again, different"),
    "ambiguous-time": ("Heure ambiguë (changement d'heure)", "Ambiguous time (clock change)"),
    "nonexistent-time": ("Heure inexistante (changement d'heure)", "Time that does not exist"),
    "dated-by-mtime": ("Livraison sans date", "Delivery without a date"),
    "no-delivery": ("Aucune livraison", "No delivery"),
    "unpublishable-name": ("Nom de fichier inutilisable", "Unusable file name"),
}
UNREADABLE_TITLE = ("Fichier illisible", "Unreadable file")
# The kinds that end a report at once (the file cannot be read): they share that name.
UNREADABLE_KINDS = frozenset(
    {
        "binary", "broken-excel", "broken-json", "cell-too-long", "delimiter", "empty",
        "encoding", "expected-csv", "expected-excel", "header-too-long", "internal-error",
        "malformed-csv", "missing-sheet", "no-header", "not-a-file", "not-feature-collection",
        "not-found", "os-error", "special-file", "too-large", "too-many-columns",
        "too-many-blank-rows", "too-many-ragged", "too-many-rows", "truncated-gzip",
        "unexpected-json", "xml-entities",
    }
)  # fmt: skip


def kind_title(kind: str, lang: str = "fr") -> str:
    """The short name of a kind of finding, in ``lang``."""
    fr, en = KIND_TITLES.get(kind, UNREADABLE_TITLE)
    return fr if lang == "fr" else en
