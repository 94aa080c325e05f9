"""The portal's words in French (the first language of every page)."""

from __future__ import annotations

FR: dict[str, str] = {
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
    "feature": "Entité",
    "where": "Emplacement",
    "property": "Propriété",
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
    "next_unreadable": "Ce fichier n'a pas pu être lu : la raison et ce qu'il faut faire sont "
    "indiqués ci-dessous. Corrigez-le, puis vérifiez-le à nouveau.",
    "next_valid": "Votre fichier est valide : envoyez-le à la Ville pour publication.",
    "next_sent": "Ce fichier a été envoyé : suivez-le dans « Mes dépôts ».",
    "send_button": "Envoyer ce fichier à la Ville",
    "compare_title": "Ce que cet envoi changera",
    "compare_intro": "Comparé à ce qui est publié ({against}, d'après le fichier {file}, "
    "{rows} lignes) :",
    "compare_intro_unpublished": "Comparé à la dernière livraison reçue, pas encore publiée "
    "(le fichier {file}, {rows} lignes ; publié : {against}) :",
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
    "version_choice": "Vérifier avec une autre version du contrat",
    "version_option": "version {version} (acceptée jusqu'au {until})",
    "version_current": "version {version} (actuelle)",
    "version_button": "Vérifier avec cette version",
    "contract_earlier": "La version {version} reste acceptée jusqu'au {until} : un fichier "
    "qu'elle accepte est reçu, avec un avertissement qui dit quoi changer.",
    "corrected_title": "Une copie corrigée de votre fichier",
    "corrected_intro": "{n} cellule(s) peuvent être corrigées pour vous sans risque "
    "d'erreur (latitude et longitude inversées, espaces en trop, zéro initial perdu, "
    "virgule décimale, orthographe d'une valeur permise). Le reste est à corriger "
    "par vous, d'après ce rapport ; chaque correction est listée.",
    "corrected_button": "Télécharger une copie corrigée",
    "corrected_list": "la liste des corrections (CSV)",
    "corrected_too_large": "Fichier trop grand pour une copie corrigée en ligne : utilisez "
    "« opendata fix » sur votre poste, ou corrigez d'après le rapport.",
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
    # The workbooks the portal gives: the annotated copy, the errors list, the templates.
    "book_csv_columns": "gravité|cellule|ligne|colonne|type|valeur|message",
    "book_error": "erreur",
    "book_warning": "avertissement",
    "book_file": "fichier",
    "book_row": "ligne {row}",
    "book_errors_sheet": "Erreurs",
    "book_errors_columns": "Cellule|Ligne|Colonne|Problème",
    "book_data_sheet": "Données",
    "book_lists_sheet": "Listes",
    "book_notice_sheet": "Notice",
    "book_pick": "Choisissez une valeur de la liste.",
    "book_unexpected": "Valeur non prévue",
    "book_title": "Modèle de livraison : {title}",
    "book_fill": "Remplissez la feuille « {sheet} », une ligne par enregistrement.",
    "book_save_csv": "Déposez ce classeur tel quel sur le portail, ou enregistrez la feuille en "
    "CSV via Fichier > Enregistrer sous > « CSV UTF-8 » (séparateur « {delimiter} »).",
    "book_semicolon": "point-virgule",
    "book_check_first": "Vérifiez votre fichier sur le portail avant de l'envoyer.",
    "book_notice_columns": "Colonne|Obligatoire|Type|Description|Exemple|Valeurs permises",
    "book_yes": "oui",
    "book_no": "non",
    "upload_named": "« {name} » : {text}",
}
