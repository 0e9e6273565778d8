Attribute VB_Name = "Ribbon"
Option Explicit

' The ribbon's callbacks (customUI.xml). Each button carries a tag; Dispatch turns the tag
' into the Python call that the xlwings add-in runs on the active workbook.

Private Const RUN_PYTHON As String = "'xlwings.xlam'!RunPython"
Private Const MSO_LANGUAGE_ID_UI As Long = 2

Public Sub DebtorPortalAction(control As Object)
    Dim command As String
    command = Dispatch.PythonCall(control.Tag)
    If command = "" Then
        MsgBox Dispatch.Message("unknown_button", UiLanguage()) & " " & control.Tag, vbExclamation, "Debtor Portal"
        Exit Sub
    End If
    On Error GoTo NoXlwings
    Application.Run RUN_PYTHON, command
    Exit Sub
NoXlwings:
    MsgBox Dispatch.Message("no_xlwings", UiLanguage()), vbExclamation, "Debtor Portal"
End Sub

Public Sub DebtorPortalLabel(control As Object, ByRef returnedVal)
    returnedVal = Dispatch.Label(control.Tag, UiLanguage())
End Sub

Public Sub DebtorPortalScreentip(control As Object, ByRef returnedVal)
    returnedVal = Dispatch.Screentip(control.Tag, UiLanguage())
End Sub

Private Function UiLanguage() As String
    Dim id As Long
    On Error Resume Next
    id = Application.LanguageSettings.LanguageID(MSO_LANGUAGE_ID_UI)
    On Error GoTo 0
    UiLanguage = Dispatch.LanguageOf(id)
End Function
