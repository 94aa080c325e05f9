"""What the pipeline says to the data team outside the command line: why a delivery is held
or refused, what an intake pass did, what a check of the published files found, what the flows
log and show in the Prefect UI. One table, French first (the team's language), English beside
it; the findings' own words are in :mod:`opendata.report.catalogue`, the command's in
:mod:`opendata.cli.words`, the portal's in ``portal/words_fr.py``."""

from __future__ import annotations

SAYINGS: dict[str, tuple[str, str]] = {
    # publish.guard: a held delivery
    "hold_older": (
        "son contenu est celui d'une livraison plus ancienne ({older}) : elle est plus "
        "ancienne que celle publiée ({previous})",
        "its content is an older delivery's ({older}): it is older than the published one "
        "({previous})",
    ),
    "hold_removes": ("elle retire {count} des {live} lignes de {previous} ({share})",
                     "it removes {count} of the {live} rows of {previous} ({share})"),
    "hold_changes": ("elle modifie {count} des {live} lignes de {previous} ({share})",
                     "it changes {count} of the {live} rows of {previous} ({share})"),
    "hold_word": (" Mot de l'expéditeur : « {note} ».", " The sender's word: “{note}”."),
    "hold_word_kept": (" L'expéditeur a joint un mot (dans decisions/, à lire sur place).",
                       " The sender attached a word (in decisions/, to be read there)."),
    "hold_sentence": (
        "{delivery} retenue : {reasons}.{word} Publiez-la avec « opendata approve {dataset} » "
        "ou refusez-la avec « opendata reject {dataset} --reason … ».",
        "{delivery} held: {reasons}.{word} Publish it with “opendata approve {dataset}” or "
        "refuse it with “opendata reject {dataset} --reason …”.",
    ),
    # publish.steps
    "refused_row": ("ligne {row} ", "row {row} "),
    "refused_column": ("« {label} » ", "“{label}” "),
    "refused_more": (" (+{count} autres)", " (+{count} more)"),
    "refused_delivery": (
        "{delivery}: {shown}{more} — rapport complet : opendata validate {path} --source "
        "{source} ; pour l'écarter (il bloque le jeu tant qu'il est dans raw/) : opendata "
        "set-aside {source} {file} --reason …",
        "{delivery}: {shown}{more} — whole report: opendata validate {path} --source {source}; "
        "to set it aside (it blocks the dataset while it is in raw/): opendata set-aside "
        "{source} {file} --reason …",
    ),
    "refused_deliveries": ("livraisons refusées : {parts}", "refused deliveries: {parts}"),
    "approved_note": ("Livraison {delivery} publiée après validation manuelle : {what}.",
                      "Delivery {delivery} published after a manual review: {what}."),
    # publish.verify
    "verify_missing": ("{where}: fichier absent", "{where}: file missing"),
    "verify_hash": ("{where}: empreinte différente de celle annoncée",
                    "{where}: hash other than the one declared"),
    "verify_bytes": ("{where}: {size} octets, {declared} annoncés",
                     "{where}: {size} bytes, {declared} declared"),
    "verify_unreadable": ("{where}: illisible ({error})", "{where}: unreadable ({error})"),
    "verify_columns": ("{where}: colonnes {columns}, le schéma dit {fields}",
                       "{where}: columns {columns}, the schema says {fields}"),
    "verify_rows": ("{where}: {rows} lignes, {declared} annoncées",
                    "{where}: {rows} rows, {declared} declared"),
    # intake
    "inbox_root": (
        "à la racine de la boîte de dépôt : placez-le dans le dossier de sa source ({names})",
        "at the root of the inbox: put it in its source's folder ({names})",
    ),
    "inbox_hidden": ("fichier caché, verrou ou temporaire : laissé tel quel",
                     "hidden, lock or temporary file: left as it is"),
    "inbox_writing": ("en cours d'écriture : pris au prochain passage",
                      "being written: taken at the next pass"),
    "inbox_changed": ("modifié pendant la lecture : pris au prochain passage",
                      "changed while read: taken at the next pass"),
    "record_stored": ("rangé sous", "stored as"),
    # notify: the e-mails (French only: the stewards' and the team's language)
    "mail_signature": ("\n\n— Le portail des livraisons, inclusion numérique, Ville de Paris\n",
                       "\n\n— The delivery portal, digital inclusion, City of Paris\n"),
    "mail_accepted_subject": ("Fichier reçu : {name}", "File received: {name}"),
    "mail_accepted": (
        "Votre fichier « {name} » ({title}) est valide et a été reçu par la Ville.\nIl sera "
        "publié à la prochaine publication ; vous recevrez un message quand il le sera, ou "
        "s'il est retenu pour examen.",
        "Your file “{name}” ({title}) is valid and the City received it.\nIt will be "
        "published with the next publication; you will hear when it is, or if it is held.",
    ),
    "mail_held_subject": ("Fichier retenu pour examen : {name}", "File held for review: {name}"),
    "mail_held": (
        "Votre fichier « {name} » est valide mais l'équipe données doit le confirmer avant de "
        "le publier :\n{why}\nRien ne change pour les utilisateurs des données d'ici là.",
        "Your file “{name}” is valid but the data team must confirm it before publishing "
        "it:\n{why}\nNothing changes for the data's users meanwhile.",
    ),
    "mail_team_subject": ("Livraison retenue : {delivery}", "Delivery held: {delivery}"),
    "mail_team_word": ("\nMot de l'expéditeur : « {note} »", "\nThe sender's word: “{note}”"),
    "mail_team": (
        "La livraison {delivery} est retenue :\n{why}{word}\n\nPubliez-la ou refusez-la : "
        "opendata approve / opendata reject (ou le formulaire du run en pause dans "
        "l'interface Prefect).",
        "The delivery {delivery} is held:\n{why}{word}\n\nPublish or refuse it: opendata "
        "approve / opendata reject (or the paused run's form in the Prefect UI).",
    ),
    "mail_published_subject": ("Fichier publié : {name}", "File published: {name}"),
    "mail_published_link": ("\nLe jeu de données : {url}", "\nThe dataset: {url}"),
    "mail_published": (
        "Votre fichier « {name} » est publié dans la version {version} du jeu de données "
        "« {dataset} ».{link}",
        "Your file “{name}” is published in version {version} of the dataset “{dataset}”.{link}",
    ),
    "mail_rejected_subject": ("Fichier refusé : {name}", "File refused: {name}"),
    "mail_rejected": (
        "L'équipe données a refusé votre fichier « {name} » : {reason}\nIl ne sera pas publié. "
        "Corrigez-le et envoyez-le de nouveau depuis le portail.",
        "The data team refused your file “{name}”: {reason}\nIt will not be published. "
        "Correct it and send it again from the portal.",
    ),
    # flows: logs, run states, artifacts and the Prefect UI's forms and cards
    "flow_refused_names": ("livraison(s) refusée(s) : {names}", "refused delivery(ies): {names}"),
    "flow_not_published": (
        "Jeu de données **{dataset}** non publié ; la publication précédente est conservée.",
        "Dataset **{dataset}** not published; the previous publication is kept.",
    ),
    "flow_nothing_published": ("{dataset}: rien de publié, {why}",
                               "{dataset}: nothing published, {why}"),
    "flow_write_failed": (
        "écriture impossible dans {folder} ({error}) : rien de publié, la publication "
        "précédente est conservée. Libérez de la place ou rendez le dossier inscriptible, puis "
        "relancez.",
        "cannot write in {folder} ({error}): nothing published, the previous publication is "
        "kept. Free some space or make the folder writable, then run again.",
    ),
    "form_decision": ("Décision", "Decision"),
    "form_decision_help": (
        "approve : publier la livraison retenue ; reject : la refuser et la mettre en "
        "quarantaine (rien ne change pour les utilisateurs).",
        "approve: publish the held delivery; reject: refuse it and quarantine it (nothing "
        "changes for consumers).",
    ),
    "form_reason": ("Raison", "Reason"),
    "form_reason_help": (
        "Pourquoi (gardée avec la décision, et dans le journal des versions si elle est "
        "publiée).",
        "Why (kept with the decision, and in the changelog if it is published).",
    ),
    "held_title": ("# Publication retenue : {dataset}", "# Publication held: {dataset}"),
    "held_intro": ("Rien n'a changé pour les utilisateurs. Une personne doit décider :",
                   "Nothing changed for consumers. A person must decide:"),
    "held_rejected": ("livraison refusée, mise en quarantaine : {reasons}",
                      "delivery refused, quarantined: {reasons}"),
    "intake_nothing": ("rien à faire", "nothing to do"),
    "intake_summary": ("boîte de dépôt : {summary}", "inbox: {summary}"),
    "intake_artifact": ("Passage de la boîte de dépôt : {summary}", "Inbox pass: {summary}"),
    "intake_misplaced": ("fichiers à déplacer ou refusés : {names}",
                         "files to move or refused: {names}"),
    "unknown_source": ("Source inconnue « {source} ». Sources : {known}.",
                       "Unknown source “{source}”. Sources: {known}."),
    "serve_running": (
        "opendata serve tourne déjà pour {root} (processus {holder}) ; un seul à la fois. "
        "Arrêtez-le d'abord (Ctrl+C ou kill {holder}).",
        "opendata serve already runs for {root} (process {holder}); one at a time. Stop it "
        "first (Ctrl+C or kill {holder}).",
    ),
    "serve_port_taken": (
        "le port {host}:{port} est déjà pris (un autre serveur Prefect ?) ; choisissez-en un "
        "autre avec --port, ou utilisez ce serveur avec --no-server et PREFECT_API_URL.",
        "port {host}:{port} is already taken (another Prefect server?); choose another with "
        "--port, or use that server with --no-server and PREFECT_API_URL.",
    ),
    "serve_portal_port_taken": (
        "le port {host}:{port} du portail est déjà pris ; choisissez-en un autre avec "
        "--portal-port (0 : pas de portail).",
        "the portal's port {host}:{port} is already taken; choose another with --portal-port "
        "(0: no portal).",
    ),
    "deployment_publish": (
        "{title} — tous les jours à 06:00, heure de Paris ({zone}), et à chaque livraison "
        "acceptée.",
        "{title} — every day at 06:00, Paris time ({zone}), and on each accepted delivery.",
    ),
    "deployment_intake": (
        "Traite les fichiers déposés dans inbox/ toutes les 10 minutes (heure de Paris, {zone}).",
        "Takes the files dropped in inbox/ every 10 minutes (Paris time, {zone}).",
    ),
}  # fmt: skip


def say(key: str, lang: str = "fr", **params: object) -> str:
    """One of the sentences above in ``lang`` (French unless ``"en"``), filled in."""
    fr, en = SAYINGS[key]
    return (en if lang == "en" else fr).format(**params)
