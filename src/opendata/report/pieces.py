"""The pieces the messages are made of (:mod:`opendata.report.messages`), French and English:
what a cell should look like, quoting, ages, the words of a finding's params, where a finding
is in a GeoJSON file, and the sentence of a finding no template fits. The catalogue of whole
messages is :mod:`opendata.report.catalogue`."""

from __future__ import annotations

PIECES: dict[str, tuple[str, str]] = {
    "integer": ("un nombre entier", "a whole number"),
    "number": ("un nombre", "a number"),
    "decimal_comma": (" avec une virgule décimale", " with a decimal comma"),
    "date": ("une date au format {format}", "a date written {format}"),
    "boolean": ("l'une des valeurs {words}", "one of {words}"),
    "text": ("un texte", "a text"),
    "example": (" (par exemple « {example} »)", " (for example “{example}”)"),
    "quoted": ("« {value} »", "“{value}”"),
    "identifies": (
        " Cette colonne identifie chaque ligne : sans elle, la ligne ne peut pas être publiée.",
        " This column identifies each row: without it, the row cannot be published.",
    ),
    "for_status": (" pour le statut {listed}", " for status {listed}"),
    "same_once_read": (
        " (même valeur une fois lue : {value})",
        " (the same value once read: {value})",
    ),
    "ages_between": ("entre {low} et {high} ans", "between {low} and {high}"),
    "ages_at_most": ("au plus {high} ans", "at most {high}"),
    "ages_at_least": ("au moins {low} ans", "at least {low}"),
    "where_feature": ("entité {number}", "feature {number}"),
    "where_property": (
        "entité {number}, propriété « {label} »",
        "feature {number}, property “{label}”",
    ),
    # Words of a finding's params (the reader names a thing, the report says it).
    "what_file": ("le fichier", "the file"),
    "what_decompressed": ("le fichier décompressé", "the decompressed file"),
    "what_decompressed-workbook": ("le classeur décompressé", "the decompressed workbook"),
    "nature_folder": ("dossier", "folder"),
    "nature_fifo": ("tube nommé (FIFO)", "named pipe (FIFO)"),
    "nature_socket": ("socket", "socket"),
    "nature_device": ("périphérique", "device"),
    "nature_link": ("lien symbolique", "symbolic link"),
    "nature_special": ("fichier spécial", "special file"),
    "json_at": ("ligne {line}, caractère {column}", "line {line}, character {column}"),
    "detail_nesting": ("imbrication trop profonde", "nesting too deep"),
    "no_template": (
        "Problème de type « {kind} »{where}. Vérifiez cette cellule.",
        "Problem of kind “{kind}”{where}. Check this cell.",
    ),
}
