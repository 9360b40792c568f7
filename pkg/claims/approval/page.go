package approval

import (
	"html/template"
	"sort"
	"sync"
	"time"
)

// page is one kind of answer: a title and what to tell the person.
type page struct{ Title, Message string }

var (
	confirmPage         = page{Title: "Confirm your decision"}
	recordedPage        = page{Title: "Decision recorded", Message: "Your decision was recorded. You can close this page."}
	decidedPage         = page{Title: "Already decided", Message: "This approval was already decided; the first decision stands."}
	linkExpiredPage     = page{Title: "Link expired", Message: "This link has expired. Ask for a new one, or wait for the reminder."}
	approvalExpiredPage = page{Title: "Approval expired", Message: "This approval expired before it was decided."}
	notFoundPage        = page{Title: "Not found", Message: "This link is not valid."}
	methodPage          = page{Title: "Method not allowed", Message: "Open the link in a browser."}
	failedPage          = page{Title: "Something went wrong", Message: "Your decision could not be loaded or recorded. Please try again later."}
)

// view is what the template renders; html/template escapes every field.
type view struct {
	page
	Action string // the link's action, on the confirm and recorded pages
	Status string // the approval's status, on the already-decided page
	// Confirm page only.
	Confirm            bool
	Claim, Value, Rule string
	Evidence           []evidence
	RequestedAt        string
	Expires            string
}

type evidence struct{ Name, Value string }

func confirmView(link Link, s Summary) view {
	v := view{page: confirmPage, Action: link.Action, Confirm: true, Claim: s.Claim, Value: s.Value, Rule: s.Rule,
		RequestedAt: when(s.RequestedAt), Expires: when(s.Expires)}
	for name, val := range s.Evidence {
		v.Evidence = append(v.Evidence, evidence{name, val})
	}
	sort.Slice(v.Evidence, func(i, j int) bool { return v.Evidence[i].Name < v.Evidence[j].Name })
	return v
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// pages has no script and no external resource: the CSP forbids both.
// It is parsed on the first page served, not at every cold start.
var pages = sync.OnceValue(func() *template.Template { return template.Must(template.New("page").Parse(pageHTML)) })

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}
th,td{text-align:left;padding:.3rem .8rem .3rem 0;vertical-align:top}
th{font-weight:600}
button{font-size:1.1rem;padding:.6rem 1.4rem;border:0;border-radius:.3rem;color:#fff;cursor:pointer}
button.approve{background:#1a7f37}
button.reject{background:#b42318}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{- if .Confirm}}
<p>You are about to <strong>{{.Action}}</strong> this claim.</p>
<table>
<tr><th>Claim</th><td>{{.Claim}}</td></tr>
<tr><th>Declared value</th><td>{{.Value}}</td></tr>
<tr><th>Rule</th><td>{{.Rule}}</td></tr>
{{- with .RequestedAt}}
<tr><th>Requested</th><td>{{.}}</td></tr>
{{- end}}
{{- with .Expires}}
<tr><th>Expires</th><td>{{.}}</td></tr>
{{- end}}
</table>
{{- if .Evidence}}
<h2>Evidence</h2>
<table>
{{- range .Evidence}}
<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
<form method="post">
<button type="submit" class="{{.Action}}">{{if eq .Action "approve"}}Approve{{else}}Reject{{end}}</button>
</form>
{{- else}}
<p>{{.Message}}</p>
{{- with .Action}}
<p>Decision: <strong>{{.}}</strong></p>
{{- end}}
{{- with .Status}}
<p>Status: <strong>{{.}}</strong></p>
{{- end}}
{{- end}}
</main>
</body>
</html>
`
