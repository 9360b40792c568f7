package samtemplate_test

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
)

func TestDecodeShortForms(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{`v: !Ref Queue`, `{"Ref":"Queue"}`},
		{`v: !GetAtt Queue.Arn`, `{"Fn::GetAtt":["Queue","Arn"]}`},
		{`v: !GetAtt Db.Endpoint.Address`, `{"Fn::GetAtt":["Db","Endpoint.Address"]}`},
		{`v: !GetAtt [Queue, Arn]`, `{"Fn::GetAtt":["Queue","Arn"]}`},
		{`v: !Sub "${A}-x"`, `{"Fn::Sub":"${A}-x"}`},
		{`v: !Sub ["${A}", {A: !Ref B}]`, `{"Fn::Sub":["${A}",{"A":{"Ref":"B"}}]}`},
		{`v: !Join [",", [a, !Ref B]]`, `{"Fn::Join":[",",["a",{"Ref":"B"}]]}`},
		{`v: !If [C, 1, !Ref AWS::NoValue]`, `{"Fn::If":["C",1,{"Ref":"AWS::NoValue"}]}`},
		{`v: !Not [!Equals [!Ref P, ""]]`, `{"Fn::Not":[{"Fn::Equals":[{"Ref":"P"},""]}]}`},
		{`v: !Select [0, !GetAZs ""]`, `{"Fn::Select":[0,{"Fn::GetAZs":""}]}`},
		{`v: !Select [1, !Split [",", !ImportValue X]]`, `{"Fn::Select":[1,{"Fn::Split":[",",{"Fn::ImportValue":"X"}]}]}`},
		{`v: !FindInMap [M, K, V]`, `{"Fn::FindInMap":["M","K","V"]}`},
		{`v: !Base64 abc`, `{"Fn::Base64":"abc"}`},
		{`v: !And [!Condition A, !Condition B]`, `{"Fn::And":[{"Condition":"A"},{"Condition":"B"}]}`},
		{`v: 2010-09-09`, `"2010-09-09"`},
		{`v: [1, 1.5, true, null, "8"]`, `[1,1.5,true,null,"8"]`},
		{"a: &x {k: 1}\nv: {<<: *x, j: 2}", `{"j":2,"k":1}`},
	}
	for _, tt := range tests {
		tpl, err := samtemplate.Decode([]byte(tt.yaml))
		if err != nil {
			t.Errorf("Decode(%s): %v", tt.yaml, err)
			continue
		}
		if got := asJSON(tpl["v"]); got != tt.want {
			t.Errorf("Decode(%s) = %s, want %s", tt.yaml, got, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{`v: !Reff X`, "line 1: unknown tag !Reff"},
		{`v: !GetAtt NoDot`, "want Resource.Attribute"},
		{"a: 1\na: 2", `duplicate key "a"`},
		{`- 1`, "want a mapping"},
	} {
		_, err := samtemplate.Decode([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%q) err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
