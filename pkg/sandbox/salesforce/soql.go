package salesforce

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fake's SOQL: a subset, parsed as Salesforce reads it.
//
//	SELECT field [, field]... FROM Object
//	  [WHERE field = literal [AND field = literal]...]
//	  [LIMIT n]
//
// Literals are strings in single quotes with Salesforce's escapes,
// true, false, null and numbers. Keywords are case-insensitive. Anything
// else is a MALFORMED_QUERY, as it would be in an org that does not know
// it; an org would accept more, the fake refuses it so tests notice.

// soqlQuery is a parsed query.
type soqlQuery struct {
	fields []string
	object string
	conds  []soqlCond
	limit  int // -1: none
}

type soqlCond struct {
	field string
	value any // string, bool, float64, or nil for null
}

// errMalformed carries the column of the problem, as Salesforce's
// "ERROR at Row:1:Column:N" does.
type errMalformed struct {
	col int
	msg string
}

func (e *errMalformed) Error() string {
	return fmt.Sprintf("ERROR at Row:1:Column:%d\n%s", e.col, e.msg)
}

type tokKind int

const (
	tokIdent tokKind = iota
	tokString
	tokNumber
	tokComma
	tokEq
	tokEOF
)

type token struct {
	kind tokKind
	text string // ident or number text, or the unescaped string
	col  int
}

// lexSOQL splits q into tokens.
func lexSOQL(q string) ([]token, error) {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == ',':
			out = append(out, token{tokComma, ",", i + 1})
			i++
		case c == '=':
			out = append(out, token{tokEq, "=", i + 1})
			i++
		case c == '\'':
			s, n, err := UnquoteLiteral(q[i:])
			if err != nil {
				return nil, &errMalformed{i + 1, err.Error()}
			}
			out = append(out, token{tokString, s, i + 1})
			i += n
		case c == '-' || c == '.' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(q) && (q[j] == '.' || (q[j] >= '0' && q[j] <= '9')) {
				j++
			}
			out = append(out, token{tokNumber, q[i:j], i + 1})
			i = j
		case isIdentByte(c, true):
			j := i + 1
			for j < len(q) && isIdentByte(q[j], false) {
				j++
			}
			out = append(out, token{tokIdent, q[i:j], i + 1})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(q[i:])
			return nil, &errMalformed{i + 1, fmt.Sprintf("unexpected token: '%c'", r)}
		}
	}
	return append(out, token{tokEOF, "<EOF>", len(q) + 1}), nil
}

func isIdentByte(c byte, first bool) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || (!first && (c >= '0' && c <= '9' || c == '.'))
}

// UnquoteLiteral reads the SOQL string literal at the start of s (which
// must begin with a single quote) and returns its value and the number of
// bytes it spans, quotes included. The escapes are Salesforce's: \n \r \t
// \b \f (each also in upper case), \" \' \\, \uXXXX; \% and \_ are
// refused, as they are valid only in LIKE, which the fake does not serve;
// any other backslash is an error, as in Salesforce.
func UnquoteLiteral(s string) (string, int, error) {
	if s == "" || s[0] != '\'' {
		return "", 0, errors.New("expected a string literal")
	}
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch c {
		case '\'':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, errors.New("unterminated string literal")
			}
			e := s[i+1]
			i += 2
			switch e {
			case 'n', 'N':
				b.WriteByte('\n')
			case 'r', 'R':
				b.WriteByte('\r')
			case 't', 'T':
				b.WriteByte('\t')
			case 'b', 'B':
				b.WriteByte('\b')
			case 'f', 'F':
				b.WriteByte('\f')
			case '"', '\'', '\\':
				b.WriteByte(e)
			case 'u':
				if i+4 > len(s) {
					return "", 0, errors.New("invalid unicode escape")
				}
				n, err := strconv.ParseUint(s[i:i+4], 16, 16)
				if err != nil {
					return "", 0, errors.New("invalid unicode escape")
				}
				b.WriteRune(rune(n))
				i += 4
			default:
				return "", 0, fmt.Errorf("Invalid string literal. Illegal character sequence '\\%c' in string literal.", e)
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, errors.New("unterminated string literal")
}

// parseSOQL parses q into a soqlQuery.
func parseSOQL(q string) (*soqlQuery, error) {
	toks, err := lexSOQL(q)
	if err != nil {
		return nil, err
	}
	p := &soqlParser{toks: toks}
	out := &soqlQuery{limit: -1}
	if err := p.keyword("SELECT"); err != nil {
		return nil, err
	}
	for {
		f, err := p.ident()
		if err != nil {
			return nil, err
		}
		out.fields = append(out.fields, f)
		if p.peek().kind != tokComma {
			break
		}
		p.next()
	}
	if err := p.keyword("FROM"); err != nil {
		return nil, err
	}
	if out.object, err = p.ident(); err != nil {
		return nil, err
	}
	if strings.Contains(out.object, ".") {
		return nil, p.unexpected(p.toks[p.pos-1])
	}
	if p.isKeyword("WHERE") {
		p.next()
		for {
			c, err := p.cond()
			if err != nil {
				return nil, err
			}
			out.conds = append(out.conds, c)
			if !p.isKeyword("AND") {
				break
			}
			p.next()
		}
	}
	if p.isKeyword("LIMIT") {
		p.next()
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tokNumber || err != nil || n < 0 {
			return nil, p.unexpected(t)
		}
		out.limit = n
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return out, nil
}

type soqlParser struct {
	toks []token
	pos  int
}

func (p *soqlParser) peek() token { return p.toks[p.pos] }

func (p *soqlParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *soqlParser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *soqlParser) keyword(kw string) error {
	if !p.isKeyword(kw) {
		return p.unexpected(p.peek())
	}
	p.next()
	return nil
}

// reserved words cannot name a field or an object.
var reserved = map[string]bool{"select": true, "from": true, "where": true, "and": true, "or": true, "limit": true, "true": true, "false": true, "null": true, "not": true}

func (p *soqlParser) ident() (string, error) {
	t := p.next()
	if t.kind != tokIdent || reserved[strings.ToLower(t.text)] || strings.HasSuffix(t.text, ".") || strings.Contains(t.text, "..") {
		return "", p.unexpected(t)
	}
	return t.text, nil
}

func (p *soqlParser) cond() (soqlCond, error) {
	f, err := p.ident()
	if err != nil {
		return soqlCond{}, err
	}
	if t := p.next(); t.kind != tokEq {
		return soqlCond{}, p.unexpected(t)
	}
	t := p.next()
	switch {
	case t.kind == tokString:
		return soqlCond{f, t.text}, nil
	case t.kind == tokNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return soqlCond{}, p.unexpected(t)
		}
		return soqlCond{f, n}, nil
	case t.kind == tokIdent && strings.EqualFold(t.text, "true"):
		return soqlCond{f, true}, nil
	case t.kind == tokIdent && strings.EqualFold(t.text, "false"):
		return soqlCond{f, false}, nil
	case t.kind == tokIdent && strings.EqualFold(t.text, "null"):
		return soqlCond{f, nil}, nil
	}
	return soqlCond{}, p.unexpected(t)
}

// unexpected never quotes a string literal's value: the fake's messages
// should not teach tests to expect evidence in errors.
func (p *soqlParser) unexpected(t token) error {
	text := t.text
	if t.kind == tokString {
		text = "<string literal>"
	}
	return &errMalformed{t.col, "unexpected token: '" + text + "'"}
}
