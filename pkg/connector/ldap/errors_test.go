package ldap

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestClassify(t *testing.T) {
	transient := []uint16{3, 11, 51, 52, 80, 81, 85, 91, ldap.ErrorNetwork}
	permanent := []uint16{10, 17, 19, 21, 32, 34, 50, 53, 64, 65, 66, 68, ldap.ErrorFilterCompile}
	for _, code := range transient {
		if got := classify(ldap.NewError(code, errors.New("x")), false, nil).Class; got != fault.Transient {
			t.Errorf("code %d = %v, want transient", code, got)
		}
	}
	for _, code := range permanent {
		if got := classify(ldap.NewError(code, errors.New("x")), false, nil).Class; got != fault.Permanent {
			t.Errorf("code %d = %v, want permanent", code, got)
		}
	}
	if got := classify(ldap.NewError(49, errors.New("x")), true, nil).Class; got != fault.Auth {
		t.Errorf("49 on bind = %v, want auth", got)
	}
	if got := classify(errors.New("dial tcp: refused"), false, nil).Class; got != fault.Transient {
		t.Errorf("plain error = %v, want transient", got)
	}
}

func TestClassifyRedactsAndNames(t *testing.T) {
	err := fmt.Errorf("upsert: %w", ldap.NewError(ldap.LDAPResultConstraintViolation,
		errors.New("0000052D: Constraint violation for jane.doe@example.test")))
	fe := classify(err, false, []string{"jane.doe@example.test"})
	if fe.Code != "constraintViolation" || fe.Status != 19 || fe.Message != "0000052D: Constraint violation for [redacted]" {
		t.Fatalf("classified = %+v", fe)
	}
	if codeName(ldap.LDAPResultUndefinedAttributeType) != "undefinedAttributeType" || codeName(999) != "" {
		t.Fatal("codeName")
	}
}
