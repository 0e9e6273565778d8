Attribute VB_Name = "Dispatch"
Option Explicit

' What each ribbon button does and says, as plain string functions (no Excel object is used
' here, so the module runs anywhere VBA or LibreOffice Basic runs). Text is ASCII: {e9} stands
' for the character U+00E9, so the module reads the same whatever code page the computer uses.

Private Const HANDLERS As String = "portal.front.excel"

Public Function PythonCall(tag As String) As String
    Dim handler As String
    Select Case tag
        Case "new": handler = "new_workbook"
        Case "check": handler = "check"
        Case "refresh": handler = "refresh"
        Case "remind": handler = "remind"
        Case "import_bank": handler = "import_bank"
        Case "import_invoices": handler = "import_invoices"
        Case "overview": handler = "overview"
        Case "build": handler = "build"
        Case "preview": handler = "preview"
        Case "publish": handler = "publish"
        Case "help": handler = "show_help"
        Case Else: handler = ""
    End Select
    If handler = "" Then
        PythonCall = ""
    Else
        PythonCall = "import " & HANDLERS & "; " & HANDLERS & "." & handler & "()"
    End If
End Function

Public Function LanguageOf(languageId As Long) As String
    ' The primary language of a Windows language id (LCID): its low 10 bits.
    Dim primary As Long
    primary = languageId Mod 1024
    If primary = 12 Then
        LanguageOf = "fr"
    ElseIf primary = 19 Then
        LanguageOf = "nl"
    ElseIf primary = 7 Then
        LanguageOf = "de"
    Else
        LanguageOf = "en"
    End If
End Function

Public Function Label(tag As String, lang As String) As String
    Select Case tag
        Case "tab": Label = Pick(lang, "Debtor Portal", "Portail d{e9}biteurs", "Debiteurenportaal", "Schuldnerportal")
        Case "group_workbook": Label = Pick(lang, "Workbook", "Classeur", "Werkmap", "Arbeitsmappe")
        Case "group_debtors": Label = Pick(lang, "Debtors", "D{e9}biteurs", "Debiteuren", "Schuldner")
        Case "group_portal": Label = Pick(lang, "Portal", "Portail", "Portaal", "Portal")
        Case "group_help": Label = Pick(lang, "Help", "Aide", "Help", "Hilfe")
        Case "new": Label = Pick(lang, "New workbook", "Nouveau classeur", "Nieuwe werkmap", "Neue Arbeitsmappe")
        Case "check": Label = Pick(lang, "Check", "V{e9}rifier", "Controleren", "Pr{fc}fen")
        Case "refresh": Label = Pick(lang, "Refresh", "Actualiser", "Vernieuwen", "Aktualisieren")
        Case "remind": Label = Pick(lang, "Reminders", "Rappels", "Herinneringen", "Mahnungen")
        Case "import_bank": Label = Pick(lang, "Import bank statement", "Importer un extrait bancaire", "Bankafschrift importeren", "Kontoauszug importieren")
        Case "import_invoices": Label = Pick(lang, "Import e-invoices", "Importer des factures {e9}lectroniques", "E-facturen importeren", "E-Rechnungen importieren")
        Case "overview": Label = Pick(lang, "Overview", "Vue d'ensemble", "Overzicht", "{dc}bersicht")
        Case "build": Label = Pick(lang, "Build portal", "G{e9}n{e9}rer le portail", "Portaal bouwen", "Portal erstellen")
        Case "preview": Label = Pick(lang, "Preview", "Aper{e7}u", "Voorbeeld", "Vorschau")
        Case "publish": Label = Pick(lang, "Publish", "Publier", "Publiceren", "Ver{f6}ffentlichen")
        Case "help": Label = Pick(lang, "Help", "Aide", "Help", "Hilfe")
        Case Else: Label = tag
    End Select
End Function

Public Function Screentip(tag As String, lang As String) As String
    Select Case tag
        Case "new": Screentip = Pick(lang, _
            "Create a new receivables workbook from the template.", _
            "Cr{e9}er un nouveau classeur de cr{e9}ances {e0} partir du mod{e8}le.", _
            "Een nieuwe werkmap voor vorderingen maken vanuit het sjabloon.", _
            "Eine neue Forderungs-Arbeitsmappe aus der Vorlage erstellen.")
        Case "check": Screentip = Pick(lang, _
            "List every problem in this workbook, with a link to each cell.", _
            "Lister chaque probl{e8}me de ce classeur, avec un lien vers chaque cellule.", _
            "Elk probleem in deze werkmap tonen, met een link naar elke cel.", _
            "Jedes Problem in dieser Arbeitsmappe auflisten, mit einem Link zu jeder Zelle.")
        Case "refresh": Screentip = Pick(lang, _
            "Write status, balance, stage, next action and portal link of every invoice as of today.", _
            "{c9}crire l'{e9}tat, le solde, l'{e9}tape, la prochaine action et le lien du portail de chaque facture {e0} la date du jour.", _
            "Status, saldo, fase, volgende actie en portaallink van elke factuur op vandaag invullen.", _
            "Status, Saldo, Stufe, n{e4}chste Aktion und Portal-Link jeder Rechnung zum heutigen Tag eintragen.")
        Case "remind": Screentip = Pick(lang, _
            "Prepare today's reminders as e-mail drafts and log them.", _
            "Pr{e9}parer les rappels du jour en brouillons d'e-mail et les consigner.", _
            "De herinneringen van vandaag als e-mailconcepten klaarzetten en registreren.", _
            "Die heutigen Mahnungen als E-Mail-Entw{fc}rfe vorbereiten und protokollieren.")
        Case "import_bank": Screentip = Pick(lang, _
            "Add the payments of a camt.053 or CODA bank statement, matched to invoices by reference.", _
            "Ajouter les paiements d'un extrait camt.053 ou CODA, rapproch{e9}s des factures par la communication.", _
            "De betalingen van een camt.053- of CODA-afschrift toevoegen, gekoppeld aan facturen via de mededeling.", _
            "Die Zahlungen eines camt.053- oder CODA-Kontoauszugs hinzuf{fc}gen, den Rechnungen per Referenz zugeordnet.")
        Case "import_invoices": Screentip = Pick(lang, _
            "Add invoices from Peppol UBL files.", _
            "Ajouter des factures depuis des fichiers UBL Peppol.", _
            "Facturen toevoegen uit Peppol UBL-bestanden.", _
            "Rechnungen aus Peppol-UBL-Dateien hinzuf{fc}gen.")
        Case "overview": Screentip = Pick(lang, _
            "What is open and overdue, by stage, as of today.", _
            "Ce qui est ouvert et en retard, par {e9}tape, {e0} la date du jour.", _
            "Wat openstaat en achterstallig is, per fase, op vandaag.", _
            "Was offen und {fc}berf{e4}llig ist, nach Stufe, zum heutigen Tag.")
        Case "build": Screentip = Pick(lang, _
            "Generate the private payment pages from this workbook (no need to save it first).", _
            "G{e9}n{e9}rer les pages de paiement priv{e9}es depuis ce classeur (inutile de l'enregistrer d'abord).", _
            "De priv{e9}betaalpagina's uit deze werkmap genereren (eerst opslaan is niet nodig).", _
            "Die privaten Zahlungsseiten aus dieser Arbeitsmappe erzeugen (vorher speichern ist nicht n{f6}tig).")
        Case "preview": Screentip = Pick(lang, _
            "Open the built portal in your browser, on this computer only.", _
            "Ouvrir le portail g{e9}n{e9}r{e9} dans votre navigateur, sur cet ordinateur uniquement.", _
            "Het gebouwde portaal in uw browser openen, alleen op deze computer.", _
            "Das erstellte Portal im Browser {f6}ffnen, nur auf diesem Computer.")
        Case "publish": Screentip = Pick(lang, _
            "Put the built portal online at the publish target of the Settings, after you confirm.", _
            "Mettre en ligne le portail g{e9}n{e9}r{e9} vers la cible des param{e8}tres, apr{e8}s confirmation.", _
            "Het gebouwde portaal online zetten op het doel uit de instellingen, na bevestiging.", _
            "Das erstellte Portal nach Best{e4}tigung am Ziel aus den Einstellungen ver{f6}ffentlichen.")
        Case "help": Screentip = Pick(lang, _
            "How Debtor Portal works and what each button does.", _
            "Comment fonctionne le portail et ce que fait chaque bouton.", _
            "Hoe het portaal werkt en wat elke knop doet.", _
            "Wie das Portal funktioniert und was jede Schaltfl{e4}che tut.")
        Case Else: Screentip = ""
    End Select
End Function

Public Function Message(key As String, lang As String) As String
    Select Case key
        Case "no_xlwings": Message = Pick(lang, _
            "The xlwings add-in is not loaded, so Debtor Portal cannot start Python. Run 'debtor-portal addin install' in a terminal, then restart Excel.", _
            "Le compl{e9}ment xlwings n'est pas charg{e9} : impossible de lancer Python. Ex{e9}cutez 'debtor-portal addin install' dans un terminal, puis red{e9}marrez Excel.", _
            "De xlwings-invoegtoepassing is niet geladen, dus Python kan niet starten. Voer 'debtor-portal addin install' uit in een terminal en start Excel opnieuw.", _
            "Das xlwings-Add-in ist nicht geladen, daher kann Python nicht starten. F{fc}hren Sie 'debtor-portal addin install' in einem Terminal aus und starten Sie Excel neu.")
        Case "unknown_button": Message = Pick(lang, _
            "This button is not known to this version of the add-in:", _
            "Ce bouton est inconnu de cette version du compl{e9}ment :", _
            "Deze knop is onbekend voor deze versie van de invoegtoepassing:", _
            "Diese Schaltfl{e4}che ist dieser Version des Add-ins unbekannt:")
        Case Else: Message = key
    End Select
End Function

Private Function Pick(lang As String, en As String, fr As String, nl As String, de As String) As String
    Select Case lang
        Case "fr": Pick = Unescape(fr)
        Case "nl": Pick = Unescape(nl)
        Case "de": Pick = Unescape(de)
        Case Else: Pick = Unescape(en)
    End Select
End Function

Private Function Unescape(text As String) As String
    Dim result As String, i As Long, closing As Long
    i = 1
    Do While i <= Len(text)
        closing = 0
        If Mid$(text, i, 1) = "{" Then closing = InStr(i, text, "}")
        If closing > 0 Then
            result = result & ChrW(HexValue(Mid$(text, i + 1, closing - i - 1)))
            i = closing + 1
        Else
            result = result & Mid$(text, i, 1)
            i = i + 1
        End If
    Loop
    Unescape = result
End Function

Private Function HexValue(digits As String) As Long
    Dim i As Long, value As Long
    For i = 1 To Len(digits)
        value = value * 16 + InStr("0123456789abcdef", LCase$(Mid$(digits, i, 1))) - 1
    Next i
    HexValue = value
End Function
