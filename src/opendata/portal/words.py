"""The portal's words, French first, English by the switch on every page."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "site": "Portail des livraisons — Inclusion numérique, Ville de Paris",
        "skip": "Aller au contenu",
        "nav": "Navigation principale",
        "check": "Vérifier un fichier",
        "deposits": "Mes dépôts",
        "templates": "Modèles Excel",
        "logout": "Se déconnecter",
        "other_lang": "English",
        "other_lang_code": "en",
        "signed_in_as": "Connecté en tant que",
        "login_title": "Connexion",
        "login_intro": "Connectez-vous avec le compte que l'équipe données vous a créé.",
        "username": "Nom de compte",
        "password": "Mot de passe",
        "login_button": "Se connecter",
        "login_failed": "Nom de compte ou mot de passe incorrect.",
        "login_throttled": "Trop de tentatives de connexion : réessayez dans {minutes} minutes.",
        "check_intro": "Déposez un fichier (CSV, classeur Excel .xlsx, CSV compressé .csv.gz, ou "
        "l'export GeoJSON du portail open data quand la source l'accepte) : chaque cellule est "
        "vérifiée par rapport au contrat de sa source, en quelques secondes.",
        "file": "Fichier",
        "file_help": "Taille maximale : {limit}. Le fichier n'est envoyé à la Ville que si "
        "vous cliquez ensuite sur « Envoyer ».",
        "source": "Source",
        "source_auto": "Reconnaître d'après l'en-tête du fichier",
        "source_help": "Laissez « Reconnaître » : la source est proposée d'après les noms de "
        "colonnes ; vous pourrez la changer sur le rapport.",
        "check_button": "Vérifier",
        "recent": "Mes dernières vérifications",
        "none_yet": "Aucune vérification pour l'instant.",
        "report_title": "Rapport de validation",
        "valid": "Valide",
        "valid_warnings": "Valide, avec avertissements",
        "invalid": "Non valide",
        "unreadable": "Illisible",
        "contract": "Contrat",
        "contract_line": "{source} version {version} (empreinte {fingerprint})",
        "contracts_title": "Les contrats des sources",
        "contracts_intro": "Ce que la Ville attend de chaque fichier : ses colonnes, leurs "
        "règles, et ce qui a changé d'une version à l'autre.",
        "contract_title": "Contrat « {title} »",
        "contract_facts": "Source {name}, version {version} (empreinte {fingerprint}).",
        "contract_columns": "Les colonnes",
        "contract_required": "obligatoire",
        "contract_optional": "facultative",
        "contract_type": "Type",
        "contract_allowed": "Valeurs permises",
        "contract_example": "Exemple",
        "contract_rules": "Règles",
        "contract_other_rules": "Autres règles",
        "contract_minimum": "au moins {value}",
        "contract_unique": "jamais deux fois la même valeur",
        "contract_key": "Chaque ligne est identifiée par : {key} (jamais vide, jamais en double).",
        "contract_versions": "Les versions",
        "contract_files": "Fichiers pour commencer",
        "contract_template": "Modèle Excel à remplir (connexion requise)",
        "contract_example_valid": "exemple valide",
        "contract_example_invalid": "exemple non valide : {errors} erreur(s) attendue(s)",
        "contract_format": "Format attendu : {format}, fichier nommé comme {pattern}.",
        "checked_at": "Vérifié le",
        "size": "Taille",
        "rows_cols": "{rows} lignes × {cols} colonnes",
        "by_kind": "Erreurs par type",
        "errors": "Erreurs",
        "warnings": "Avertissements",
        "group_row": "Grouper par ligne",
        "group_kind": "Grouper par type",
        "row": "Ligne",
        "cell": "Cellule",
        "column": "Colonne",
        "value": "Valeur",
        "problem": "Problème",
        "whole_file": "Fichier entier",
        "preview": "Aperçu des lignes en erreur",
        "preview_help": "Les cellules en erreur sont surlignées ; survolez-les ou atteignez-les "
        "avec la touche Tab pour lire le problème.",
        "preview_more": "… et {more} autres lignes en erreur, listées ci-dessus.",
        "masked": "masqué",
        "masked_help": "Colonnes d'identité masquées : données personnelles.",
        "downloads": "Téléchargements",
        "dl_annotated": "Copie annotée de votre fichier (.xlsx)",
        "dl_csv": "Liste des erreurs (.csv)",
        "dl_json": "Rapport JSON",
        "next_invalid": "Corrigez les cellules indiquées dans votre fichier, puis vérifiez-le "
        "à nouveau : l'envoi est possible dès qu'il est valide.",
        "next_valid": "Votre fichier est valide : envoyez-le à la Ville pour publication.",
        "next_sent": "Ce fichier a été envoyé : suivez-le dans « Mes dépôts ».",
        "send_button": "Envoyer ce fichier à la Ville",
        "compare_title": "Ce que cet envoi changera",
        "compare_intro": "Comparé à ce qui est publié ({against}, d'après le fichier {file}, "
        "{rows} lignes) :",
        "compare_added": "{n} ligne(s) ajoutée(s)",
        "compare_removed": "{n} ligne(s) retirée(s)",
        "compare_changed": "{n} ligne(s) modifiée(s)",
        "compare_held": "Cette livraison sera examinée par l'équipe données avant publication : "
        "{reasons}.",
        "compare_goes": "Rien ne la retiendra : elle sera publiée à la prochaine publication.",
        "compare_masked": "Données personnelles : seuls les numéros de ligne de votre fichier et "
        "les colonnes modifiées sont montrés.",
        "compare_row": "ligne {row} de votre fichier",
        "note_label": "Un mot pour l'équipe données (obligatoire) : pourquoi ces changements ?",
        "note_missing": "Cette livraison sera examinée avant publication : écrivez un mot pour "
        "l'équipe données (pourquoi ces changements), puis envoyez-la.",
        "change_source": "Vérifier avec une autre source",
        "change_button": "Vérifier à nouveau",
        "proposed": "Source reconnue d'après l'en-tête",
        "running_title": "Vérification en cours",
        "running": "Votre fichier est en cours de vérification.",
        "queued": "Votre fichier attend son tour.",
        "elapsed": "Temps écoulé :",
        "progress_help": "Le rapport s'affichera ici dès qu'il sera prêt. Vous pouvez aussi "
        "recharger la page, ou noter son adresse pour y revenir plus tard.",
        "failed": "La vérification n'a pas pu aboutir à cause d'un défaut du portail, pas de "
        "votre fichier. Réessayez ; si cela se reproduit, prévenez l'équipe données en "
        "donnant l'adresse de cette page.",
        "expired": "Ce rapport a expiré : le fichier n'a pas été envoyé et le délai de "
        "conservation est passé. Vérifiez à nouveau votre fichier.",
        "upload_gone": "Le fichier n'est plus conservé (délai de conservation passé) : "
        "vérifiez-le à nouveau.",
        "deposits_intro": "Chaque fichier que vous avez vérifié ou envoyé, et où il en est : "
        "refusés compris, daté, à l'heure de Paris.",
        "deposit_none": "Aucun fichier à montrer : aucun vérifié encore, ou aucun ne répond à "
        "la recherche.",
        "sent_at": "Envoyé le",
        "status": "Statut",
        "st_received": "reçu",
        "st_accepted": "accepté, en attente de publication",
        "st_duplicate": "déjà reçu auparavant (mêmes octets)",
        "st_quarantined": "refusé, mis en quarantaine",
        "st_refused": "refusé",
        "st_published": "publié dans la version {version} du jeu « {dataset} »",
        "st_held": "retenu : l'équipe données doit confirmer avant de le publier ({reasons})",
        "st_rejected": "refusé par l'équipe données ({reasons}), mis en quarantaine",
        "st_checked_valid": "valide, pas envoyé",
        "st_checked_invalid": "refusé à la vérification : {errors} erreur(s) à corriger",
        "st_checked_unreadable": "illisible : refusé à la vérification",
        "st_checked_failed": "vérification interrompue par un défaut du portail",
        "st_withdrawn": "retiré le {at}, avant publication",
        "withdraw_button": "Retirer",
        "withdraw_label": "Retirer {name} avant sa publication",
        "withdraw_too_late": "Ce fichier est déjà publié : il ne peut plus être retiré. Écrivez "
        "à l'équipe données pour le corriger.",
        "withdraw_gone": "Ce fichier n'attend plus sa publication (déjà retiré ou écarté par "
        "l'équipe données) : rien n'a été fait.",
        "withdrawn_reason": "retiré par {who} avant publication",
        "corrected_title": "Une copie corrigée de votre fichier",
        "corrected_intro": "{n} cellule(s) peuvent être corrigées pour vous sans risque "
        "d'erreur (latitude et longitude inversées, espaces en trop, zéro initial perdu, "
        "virgule décimale, orthographe d'une valeur permise). Tout le reste reste à corriger "
        "par vous, d'après ce rapport ; chaque correction est listée.",
        "corrected_button": "Télécharger une copie corrigée",
        "corrected_list": "la liste des corrections (CSV)",
        "no_corrected": "Pas de copie corrigée pour ce fichier.",
        "mail_off": "Aucun e-mail n'est envoyé par ce portail (pas de serveur de messagerie "
        "configuré) : suivez vos fichiers sur cette page.",
        "mail_no_address": "Votre compte n'a pas d'adresse e-mail : vous ne serez pas prévenu(e) "
        "par e-mail. Demandez à l'équipe données de l'ajouter.",
        "mail_on": "Vous êtes prévenu(e) par e-mail à {email} quand un fichier envoyé est reçu, "
        "retenu, publié ou refusé.",
        "search_name": "Le nom du fichier contient",
        "search_from": "Vérifié du",
        "search_to": "au",
        "search_button": "Rechercher",
        "search_count": "{shown} fichier(s) sur {total}",
        "personal_name": "fichier de données personnelles (nom non conservé)",
        "checked_col": "Vérifié le",
        "report_link": "rapport",
        "see_report": "voir le rapport",
        "templates_intro": "Un classeur prêt à remplir pour chaque source : les colonnes "
        "attendues, les listes de valeurs permises, une aide sur chaque colonne et une notice.",
        "download": "Télécharger",
        "error_title": "Impossible de traiter ce fichier",
        "not_found_title": "Page introuvable",
        "refused_title": "Demande refusée",
        "back": "Revenir à la vérification",
        "not_found": "Cette page n'existe pas, ou votre compte n'y a pas accès.",
        "forbidden": "Votre compte ne peut pas vérifier ni envoyer cette source.",
        "csrf": "Le formulaire a expiré ou ne vient pas de ce portail : rechargez la page et "
        "recommencez.",
        "footer": "Ville de Paris — données ouvertes de l'inclusion numérique.",
        "by_kind_cells": "{count} cellule(s) de la colonne « {column} »",
        "read_as": "Lu comme",
        "by_kind_file": "{count} problème(s) sur le fichier entier",
        "by_kind_rows": "{count} ligne(s)",
        "kinds_summary": "Par type",
        "errors_table": "Tableau des erreurs",
        "preview_table": "Tableau des lignes en erreur",
        "quota": "Vous avez vérifié {count} fichiers dans l'heure, la limite du portail : "
        "réessayez dans {minutes} minute(s), ou écrivez à l'équipe données.",
        "use_form": "Envoyez le fichier par le formulaire.",
        "upload_slow": "L'envoi s'est interrompu ou était trop lent : rien n'a été gardé. "
        "Vérifiez votre connexion et envoyez le fichier à nouveau.",
        "upload_malformed": "Envoi incomplet ou mal formé : envoyez le fichier à nouveau par le "
        "formulaire.",
        "no_file": "Aucun fichier reçu : choisissez un fichier.",
        "empty_file": "« {name} » est vide : il ne contient aucune ligne.",
        "wrong_extension": "« {name} » ne contient pas ce que son nom annonce : c'est {found}. "
        "Enregistrez-le au bon format, ou donnez-lui la bonne extension.",
        "kind_xlsx": "un classeur Excel",
        "kind_gzip": "un fichier compressé",
        "kind_text": "du texte",
        "unknown_source": "Source inconnue : {name}.",
        "other_source": "« {name} » ressemble à une livraison de « {title} », que votre compte "
        "ne peut pas vérifier. Demandez l'accès à l'équipe données.",
        "not_recognised": "La source de « {name} » n'a pas pu être reconnue d'après son en-tête : "
        "choisissez-la dans la liste, ou partez d'un modèle Excel.",
        "file_said": "« {name} » : {text}",
        "choose_source": "Choisissez une source.",
        "no_annotated": "Pas de copie annotée pour un export machine : téléchargez la liste des "
        "erreurs.",
        "form_refused": "Requête refusée : le formulaire envoyé est mal formé ou trop grand. "
        "Revenez à la page précédente et réessayez.",
        "server_error": "Erreur interne du portail : réessayez ; si elle se reproduit, prévenez "
        "l'équipe données.",
        "api_token": "Jeton absent ou invalide : en-tête « Authorization: Bearer <jeton> » "
        "(opendata users token NOM).",
        "api_not_found": "adresse inconnue",
        "too_large": "Fichier trop volumineux : la limite est de {size}. Découpez-le (par exemple "
        "un fichier par mois) ou compressez-le en .csv.gz.",
        "disk_full": "le disque du serveur est plein",
        "disk_refuses": "le dossier du serveur refuse l'écriture",
        "disk_check": "Le portail n'a pas pu enregistrer votre fichier pour le vérifier : {why}. "
        "Rien n'est perdu de votre côté : réessayez plus tard, et prévenez l'équipe données si "
        "cela dure.",
        "disk_store": "Le dépôt n'a pas pu être enregistré : {why}. Votre fichier et son rapport "
        "sont conservés ici : renvoyez-le plus tard avec le même bouton, et prévenez l'équipe "
        "données si cela dure.",
        "limits": "{book} pour un classeur, {other} pour un CSV",
        "looks_like": "Ce fichier ressemble à une livraison de « {title} » : vérifiez-le avec "
        "cette source.",
        "choose_placeholder": "— choisissez une source —",
        "help": "Aide et contact",
        "help_title": "Aide",
        "help_steps_title": "Livrer un fichier, pas à pas",
        "help_step_check": "Déposez votre fichier sur la page « Vérifier un fichier » : il "
        "n'est pas encore envoyé à la Ville.",
        "help_step_read": "Lisez le rapport : chaque erreur est nommée par sa cellule (par "
        "exemple EPN!D47), avec ce qui est attendu.",
        "help_step_fix": "Corrigez votre fichier (la copie annotée surligne les cellules en "
        "erreur), puis vérifiez-le à nouveau.",
        "help_step_send": "Quand il est valide, cliquez sur « Envoyer ce fichier ».",
        "help_step_follow": "Suivez-le dans « Mes dépôts » jusqu'à sa publication.",
        "help_templates": "Partir d'un modèle Excel",
        "help_contact_title": "Une question ?",
        "help_contact": "Écrivez à l'équipe données :",
        "help_no_contact": "Écrivez à l'équipe données de la Ville, qui vous a créé votre compte.",
        "deadline": "Ce fichier contient des données personnelles : s'il n'est pas envoyé, il est "
        "effacé avec ce rapport le {deadline}. Téléchargez ce dont vous avez besoin avant.",
    },
    "en": {
        "site": "Delivery portal — Digital inclusion, City of Paris",
        "skip": "Skip to content",
        "nav": "Main navigation",
        "check": "Check a file",
        "deposits": "My deliveries",
        "templates": "Excel templates",
        "logout": "Sign out",
        "other_lang": "Français",
        "other_lang_code": "fr",
        "signed_in_as": "Signed in as",
        "login_title": "Sign in",
        "login_intro": "Sign in with the account the data team created for you.",
        "username": "Account name",
        "password": "Password",
        "login_button": "Sign in",
        "login_failed": "Wrong account name or password.",
        "login_throttled": "Too many sign-in attempts: try again in {minutes} minutes.",
        "check_intro": "Drop a file (CSV, Excel workbook .xlsx, gzipped CSV .csv.gz, or the "
        "open-data portal's GeoJSON export where the source takes it): every cell is checked "
        "against its source's contract, in seconds.",
        "file": "File",
        "file_help": "Largest size: {limit}. The file is sent to the City only if you then "
        "click “Send”.",
        "source": "Source",
        "source_auto": "Recognise from the file's header",
        "source_help": "Keep “Recognise”: the source is proposed from the column names; you "
        "can change it on the report.",
        "check_button": "Check",
        "recent": "My latest checks",
        "none_yet": "No check yet.",
        "report_title": "Validation report",
        "valid": "Valid",
        "valid_warnings": "Valid, with warnings",
        "invalid": "Not valid",
        "unreadable": "Unreadable",
        "contract": "Contract",
        "contract_line": "{source} version {version} (fingerprint {fingerprint})",
        "contracts_title": "The sources' contracts",
        "contracts_intro": "What the City expects of each file: its columns, their rules, and "
        "what changed from one version to the next.",
        "contract_title": "Contract “{title}”",
        "contract_facts": "Source {name}, version {version} (fingerprint {fingerprint}).",
        "contract_columns": "Columns",
        "contract_required": "required",
        "contract_optional": "optional",
        "contract_type": "Type",
        "contract_allowed": "Allowed values",
        "contract_example": "Example",
        "contract_rules": "Rules",
        "contract_other_rules": "Other rules",
        "contract_minimum": "at least {value}",
        "contract_unique": "never the same value twice",
        "contract_key": "Each row is identified by: {key} (never empty, never repeated).",
        "contract_versions": "Versions",
        "contract_files": "Files to start from",
        "contract_template": "Excel template to fill in (sign-in required)",
        "contract_example_valid": "valid example",
        "contract_example_invalid": "invalid example: {errors} error(s) expected",
        "contract_format": "Expected format: {format}, file named like {pattern}.",
        "checked_at": "Checked on",
        "size": "Size",
        "rows_cols": "{rows} rows × {cols} columns",
        "by_kind": "Errors by kind",
        "errors": "Errors",
        "warnings": "Warnings",
        "group_row": "Group by row",
        "group_kind": "Group by kind",
        "row": "Row",
        "cell": "Cell",
        "column": "Column",
        "value": "Value",
        "problem": "Problem",
        "whole_file": "Whole file",
        "preview": "Preview of the failing rows",
        "preview_help": "Faulty cells are highlighted; hover over them or reach them with the "
        "Tab key to read the problem.",
        "preview_more": "… and {more} more failing rows, listed above.",
        "masked": "masked",
        "masked_help": "Identity columns masked: personal data.",
        "downloads": "Downloads",
        "dl_annotated": "Annotated copy of your file (.xlsx)",
        "dl_csv": "List of errors (.csv)",
        "dl_json": "JSON report",
        "next_invalid": "Fix the cells listed in your file, then check it again: you can send "
        "it as soon as it is valid.",
        "next_valid": "Your file is valid: send it to the City for publication.",
        "next_sent": "This file was sent: follow it under “My deliveries”.",
        "send_button": "Send this file to the City",
        "compare_title": "What sending it will change",
        "compare_intro": "Compared with what is published ({against}, from the file {file}, "
        "{rows} rows):",
        "compare_added": "{n} row(s) added",
        "compare_removed": "{n} row(s) removed",
        "compare_changed": "{n} row(s) changed",
        "compare_held": "The data team will review this delivery before it is published: "
        "{reasons}.",
        "compare_goes": "Nothing will hold it: it goes out with the next publication.",
        "compare_masked": "Personal data: only the row numbers of your file and the changed "
        "columns are shown.",
        "compare_row": "row {row} of your file",
        "note_label": "A word for the data team (required): why these changes?",
        "note_missing": "This delivery will be reviewed before publication: write a word for "
        "the data team (why these changes), then send it.",
        "change_source": "Check against another source",
        "change_button": "Check again",
        "proposed": "Source recognised from the header",
        "running_title": "Checking",
        "running": "Your file is being checked.",
        "queued": "Your file is waiting its turn.",
        "elapsed": "Time elapsed:",
        "progress_help": "The report will show here as soon as it is ready. You may also reload "
        "the page, or keep its address to come back later.",
        "failed": "The check could not finish because of a defect of the portal, not of your "
        "file. Try again; if it happens again, tell the data team the address of this page.",
        "expired": "This report has expired: the file was not sent and the retention period "
        "is over. Check your file again.",
        "upload_gone": "The file is no longer kept (retention period over): check it again.",
        "deposits_intro": "Each file you checked or sent, and where it stands: refused ones "
        "included, dated, Paris time.",
        "deposit_none": "No file to show: none checked yet, or none matches the search.",
        "sent_at": "Sent on",
        "status": "Status",
        "st_received": "received",
        "st_accepted": "accepted, waiting for publication",
        "st_duplicate": "already received (same bytes)",
        "st_quarantined": "refused, quarantined",
        "st_refused": "refused",
        "st_published": "published in version {version} of dataset “{dataset}”",
        "st_held": "held: the data team must confirm it before it is published ({reasons})",
        "st_rejected": "refused by the data team ({reasons}), quarantined",
        "st_checked_valid": "valid, not sent",
        "st_checked_invalid": "refused by the check: {errors} error(s) to fix",
        "st_checked_unreadable": "unreadable: refused by the check",
        "st_checked_failed": "check interrupted by a defect of the portal",
        "st_withdrawn": "withdrawn on {at}, before publication",
        "withdraw_button": "Withdraw",
        "withdraw_label": "Withdraw {name} before it is published",
        "withdraw_too_late": "This file is already published: it can no longer be withdrawn. "
        "Write to the data team to correct it.",
        "withdraw_gone": "This file no longer waits for publication (already withdrawn or set "
        "aside by the data team): nothing was done.",
        "withdrawn_reason": "withdrawn by {who} before publication",
        "corrected_title": "A corrected copy of your file",
        "corrected_intro": "{n} cell(s) can be corrected for you without any risk of error "
        "(latitude and longitude swapped, stray spaces, lost leading zero, decimal comma, "
        "spelling of an allowed value). Everything else is left to you, after this report; "
        "each correction is listed.",
        "corrected_button": "Download a corrected copy",
        "corrected_list": "the list of corrections (CSV)",
        "no_corrected": "No corrected copy of this file.",
        "mail_off": "This portal sends no e-mail (no mail server is set): follow your files "
        "on this page.",
        "mail_no_address": "Your account has no e-mail address: you will not be told by "
        "e-mail. Ask the data team to add one.",
        "mail_on": "You are told by e-mail at {email} when a file you sent is received, held, "
        "published or refused.",
        "search_name": "File name contains",
        "search_from": "Checked from",
        "search_to": "to",
        "search_button": "Search",
        "search_count": "{shown} file(s) of {total}",
        "personal_name": "personal-data file (name not kept)",
        "checked_col": "Checked on",
        "report_link": "report",
        "see_report": "see the report",
        "templates_intro": "A workbook ready to fill for each source: the expected columns, "
        "the lists of allowed values, help on each column and a notice.",
        "download": "Download",
        "error_title": "This file cannot be processed",
        "not_found_title": "Page not found",
        "refused_title": "Request refused",
        "back": "Back to checking",
        "not_found": "This page does not exist, or your account may not see it.",
        "forbidden": "Your account may not check or send this source.",
        "csrf": "The form expired or does not come from this portal: reload the page and try "
        "again.",
        "footer": "City of Paris — open data of digital inclusion.",
        "by_kind_cells": "{count} cell(s) of column “{column}”",
        "read_as": "Read as",
        "by_kind_file": "{count} problem(s) about the whole file",
        "by_kind_rows": "{count} row(s)",
        "kinds_summary": "By kind",
        "errors_table": "Table of errors",
        "preview_table": "Table of failing rows",
        "quota": "You checked {count} files this hour, the portal's limit: try again in "
        "{minutes} minute(s).",
        "use_form": "Send the file with the form.",
        "upload_slow": "The upload stopped or was too slow: nothing was kept. Send it again.",
        "upload_malformed": "Incomplete or malformed upload: send the file again with the form.",
        "no_file": "No file received: choose a file.",
        "empty_file": "“{name}” is empty.",
        "wrong_extension": "“{name}” does not hold what its name says. Save it in the right "
        "format.",
        "kind_xlsx": "an Excel workbook",
        "kind_gzip": "a compressed file",
        "kind_text": "text",
        "unknown_source": "Unknown source: {name}.",
        "other_source": "“{name}” looks like a delivery of “{title}”, which your account may "
        "not check.",
        "not_recognised": "The source of “{name}” could not be recognised from its header: "
        "choose it.",
        "file_said": "« {name} » : {text}",
        "choose_source": "Choose a source.",
        "no_annotated": "No annotated copy for a machine export: download the list of errors.",
        "form_refused": "Request refused: the form sent is malformed or too large. Go back and "
        "try again.",
        "server_error": "Internal error of the portal: try again; if it happens again, tell the "
        "data team.",
        "api_token": "Missing or invalid token: header “Authorization: Bearer <token>” "
        "(opendata users token NAME).",
        "api_not_found": "unknown address",
        "too_large": "File too large: the limit is {size}. Split it or gzip it.",
        "disk_full": "the server's disk is full",
        "disk_refuses": "the server's folder refuses writing",
        "disk_check": "The portal could not store your file to check it: {why}. Try again later.",
        "disk_store": "The delivery could not be stored: {why}. Your file and its report are "
        "kept here: send it again later with the same button.",
        "limits": "{book} for a workbook, {other} for a CSV",
        "looks_like": "This file looks like a delivery of “{title}”: check it with that source.",
        "choose_placeholder": "— choose a source —",
        "help": "Help and contact",
        "help_title": "Help",
        "help_steps_title": "Delivering a file, step by step",
        "help_step_check": "Drop your file on the “Check a file” page: it is not sent to the "
        "City yet.",
        "help_step_read": "Read the report: each error is named by its cell (such as EPN!D47), "
        "with what is expected.",
        "help_step_fix": "Correct your file (the annotated copy highlights the faulty cells), "
        "then check it again.",
        "help_step_send": "Once it is valid, click “Send this file”.",
        "help_step_follow": "Follow it in “My deliveries” until it is published.",
        "help_templates": "Start from an Excel template",
        "help_contact_title": "A question?",
        "help_contact": "Write to the data team:",
        "help_no_contact": "Write to the City's data team, who created your account.",
        "deadline": "This file holds personal data: unless it is sent, it is deleted with this "
        "report on {deadline}. Download what you need before.",
    },
}


def say(lang: str, key: str, **params: object) -> str:
    """One of the sentences above in ``lang``, its ``{placeholders}`` filled."""
    return WORDS[lang if lang in WORDS else "fr"][key].format(**params)


def rows_text(lang: str, rows: int, columns: int) -> str:
    """``0 ligne × 15 colonnes`` (French keeps 0 and 1 singular)."""
    if lang == "fr":
        return f"{rows} ligne{'s' if rows > 1 else ''} × {columns} colonnes"
    return f"{rows} row{'s' if rows != 1 else ''} × {columns} columns"
