"""Every sentence the ``opendata`` command says, French first and English beside it: one
place to read and correct them (a test fails on a French sentence written elsewhere in the
command's modules). The findings' own words are in :mod:`opendata.report.catalogue`."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    # opendata (every command)
    "contract_refused": ("contrat refusé : {detail}", "contract refused: {detail}"),
    "setting_unreadable": ("réglage illisible : {detail}", "unreadable setting: {detail}"),
    "defect_link": ("« Signaler un défaut »", "“Report a defect”"),
    # fix
    "fixed_cell": ("{ref} « {label} » : {before} → {after} ({why})",
                   "{ref} “{label}”: {before} → {after} ({why})"),
    "fixed_copy": (
        "copie corrigée : {output} — {count} correction(s), listées dans {where} ; reste {left} "
        "erreur(s) sur {first}",
        "corrected copy: {output} — {count} correction(s), listed in {where}; {left} error(s) "
        "left of {first}",
    ),
    "fixed_sheet": ("{output} (feuille Corrections)", "{output} (sheet Corrections)"),
    "fixed_left": (" : voir « opendata validate » sur la copie.", ": see opendata validate."),
    # submit, intake
    "receipt_accepted": ("accepté : {stored}", "accepted: {stored}"),
    "receipt_duplicate": ("déjà reçu (mêmes octets) : {stored}",
                          "already received (same bytes): {stored}"),
    "receipt_quarantined": ("refusé, mis en quarantaine : {stored} ; rapport : {report}",
                            "refused, quarantined: {stored}; report: {report}"),
    "receipt_refused": ("refusé", "refused"),
    "receipt_misplaced": ("mal placé", "misplaced"),
    "receipt_waiting": ("en attente", "waiting"),
    "receipt_ignored": ("ignoré", "ignored"),
    "receipt_other": ("{status} : {name} — {reason}", "{status}: {name} — {reason}"),
    "inbox_busy": (
        "une autre passe de dépôt occupe {inbox} depuis plus de 5 minutes ; rien n'a été fait. "
        "Relancez plus tard (ou voyez quel processus la tient).",
        "another intake pass has held {inbox} for over 5 minutes; nothing was done. Run again "
        "later (or see which process holds it).",
    ),
    "inbox_summary": ("boîte de dépôt : {counts}", "inbox: {counts}"),
    "inbox_nothing": ("rien à faire", "nothing to do"),
    # template
    "template_machine": (
        "{source} est un export machine : pas de modèle à remplir ; modèles : {templates}",
        "{source} is a machine export: no template to fill in; templates: {templates}",
    ),
    "template_written": ("modèle écrit : {target}", "template written: {target}"),
    # approve, reject, verify, set-aside
    "nothing_held_refused": (
        "{dataset} : rien n'est retenu, une livraison est refusée ; {refusal}",
        "{dataset}: nothing is held, a delivery is refused; {refusal}",
    ),
    "nothing_held": ("{dataset} : aucune livraison retenue, rien à {verb}.",
                     "{dataset}: no delivery held, nothing to {verb}."),
    "verb_approve": ("approuver", "approve"),
    "verb_reject": ("refuser", "reject"),
    "steward_word": ("{delivery} — mot de l'expéditeur : « {note} »",
                     "{delivery} — the sender's word: “{note}”"),
    "approved": ("approuvée : {delivery}", "approved: {delivery}"),
    "rejected": ("refusée, mise en quarantaine : {target}", "rejected, quarantined: {target}"),
    "resumed": ("exécution(s) en pause reprise(s) : {count}", "paused run(s) resumed: {count}"),
    "publish_now": ("publiez maintenant : opendata publish --dataset {dataset}",
                    "publish now: opendata publish --dataset {dataset}"),
    "no_package": ("{folder}: aucun paquet publié", "{folder}: no published package"),
    "aside_published": (
        "{delivery} a été publié (version {version} de {dataset}) : il fait partie de "
        "l'historique et reste dans raw/.",
        "{delivery} was published (version {version} of {dataset}): it is part of the history "
        "and stays in raw/.",
    ),
    "aside_missing": ("aucun fichier {name} dans {folder} ; présents : {present}",
                      "no file {name} in {folder}; present: {present}"),
    "none": ("aucun", "none"),
    "aside_done": ("écartée, mise en quarantaine : {target} (raison conservée à côté)",
                   "set aside, quarantined: {target} (reason kept beside it)"),
    # portal, serve
    "port_taken": (
        "le port {host}:{port} est déjà pris (un autre portail ?) ; choisissez-en un autre avec "
        "--port.",
        "port {host}:{port} is already taken (another portal?); choose another with --port.",
    ),
    "no_contracts": (
        "aucun contrat dans {folder} : lancez la commande dans le dossier du projet (qui "
        "contient schemas/) ou donnez-le avec opendata --root DOSSIER",
        "no contract in {folder}: run the command in the project folder (the one holding "
        "schemas/) or give it with opendata --root FOLDER",
    ),
    # users
    "passwords_differ": ("les deux mots de passe diffèrent ; rien changé",
                         "the two passwords differ; nothing changed"),
    "account_created": ("compte créé : {name} ({what})", "account created: {name} ({what})"),
    "every_source": ("toutes les sources", "every source"),
    "email_set": ("adresse de {name} : {address}", "address of {name}: {address}"),
    "email_none": ("aucune (plus d'e-mail)", "none (no more e-mail)"),
    "tokens_revoked_before": ("{count} jeton(s) précédent(s) révoqué(s)",
                              "{count} earlier token(s) revoked"),
    "no_account": ("aucun compte {name}", "no account {name}"),
    "token_id_needed": ("indiquez l'identifiant du jeton (users tokens NOM) ou --all",
                        "give the token's id (users tokens NAME) or --all"),
    "no_token": ("aucun jeton {token} pour {name}", "no token {token} for {name}"),
    "tokens_revoked": ("{count} jeton(s) révoqué(s)", "{count} token(s) revoked"),
    "password_changed": ("mot de passe changé : {name} (sessions ouvertes fermées)",
                         "password changed: {name} (open sessions ended)"),
    "account_removed": ("compte supprimé : {name}", "account removed: {name}"),
    "account_listed": ("{name}\t{what}\t{tokens} jeton(s)\t{email}",
                       "{name}\t{what}\t{tokens} token(s)\t{email}"),
}  # fmt: skip


def say(key: str, lang: str = "fr", **params: object) -> str:
    """One of the sentences above in ``lang`` (French unless ``"en"``), filled in."""
    fr, en = WORDS[key]
    return (en if lang == "en" else fr).format(**params)
