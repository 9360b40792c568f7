package sftpdest

import (
	"crypto/x509"
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/profilesync/profilesync/pkg/spec"
)

// DefaultPort is SSH's.
const DefaultPort = 22

// Spec is the SFTP destination's secret: where to connect, as whom, and
// the server's host key, which is required (no trust on first use).
var Spec = spec.Component{
	Kind:    "sftp",
	Summary: "Files uploaded over SFTP into a remote directory, each written under a temporary name and renamed when complete.",
	Secret: []spec.Field{
		{Name: "host", Type: spec.String, Required: true, Description: "The SFTP server's host name or address."},
		{Name: "port", Type: spec.Int, Default: DefaultPort, Description: "Its SSH port."},
		{Name: "user", Type: spec.String, Required: true, Description: "The user to log in as."},
		{Name: "private_key", Type: spec.String, Description: "The user's private key, PEM (OpenSSH, PKCS#1, PKCS#8 or EC); private_key or password is required."},
		{Name: "private_key_passphrase", Type: spec.String, Description: "The passphrase of an encrypted private_key."},
		{Name: "password", Type: spec.String, Description: "The user's password, tried after the key."},
		{Name: "host_key", Type: spec.String, Required: true, Description: "The server's public host key in authorized_keys form (ssh-ed25519 AAAA…, as ssh-keyscan prints after the host name); any other key is refused."},
		{Name: "dir", Type: spec.String, Description: "The remote directory files go under; relative paths start in the login directory. Default the login directory."},
	},
}

// Config is the decoded secret.
type Config struct {
	Host                 string `json:"host"`
	Port                 int    `json:"port"`
	User                 string `json:"user"`
	PrivateKey           string `json:"private_key"`
	PrivateKeyPassphrase string `json:"private_key_passphrase"`
	Password             string `json:"password"`
	HostKey              string `json:"host_key"`
	Dir                  string `json:"dir"`
}

// auth is what Config's credentials become; parse checks them once, at
// New, so a bad key is a configuration error and not a failed run.
type auth struct {
	methods []ssh.AuthMethod
	hostKey ssh.PublicKey
	algos   []string
}

// parse checks cfg and returns the SSH client settings. Errors name the
// field, never its value.
func (cfg *Config) parse() (*auth, error) {
	var errs []error
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if strings.TrimSpace(cfg.Host) == "" {
		errs = append(errs, errors.New("host: required"))
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		errs = append(errs, errors.New("port: want 1 to 65535"))
	}
	if cfg.User == "" {
		errs = append(errs, errors.New("user: required"))
	}
	a := &auth{}
	if cfg.PrivateKey != "" {
		signer, err := parseKey(cfg.PrivateKey, cfg.PrivateKeyPassphrase)
		if err != nil {
			errs = append(errs, err)
		} else {
			a.methods = append(a.methods, ssh.PublicKeys(signer))
		}
	}
	if cfg.Password != "" {
		a.methods = append(a.methods, ssh.Password(cfg.Password))
	}
	if cfg.PrivateKey == "" && cfg.Password == "" {
		errs = append(errs, errors.New("private_key or password: required"))
	}
	if cfg.HostKey == "" {
		errs = append(errs, errors.New("host_key: required (the server's public key, as ssh-keyscan prints it)"))
	} else if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(cfg.HostKey)); err != nil {
		errs = append(errs, errors.New("host_key: not a public key in authorized_keys form"))
	} else {
		a.hostKey, a.algos = key, hostKeyAlgorithms(key)
	}
	if cfg.Dir != "" {
		cfg.Dir = path.Clean(cfg.Dir)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("sftp destination: %w", errors.Join(errs...))
	}
	return a, nil
}

func parseKey(pemText, passphrase string) (ssh.Signer, error) {
	var (
		signer ssh.Signer
		err    error
	)
	if passphrase != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(pemText), []byte(passphrase))
	} else {
		signer, err = ssh.ParsePrivateKey([]byte(pemText))
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, errors.New("private_key: encrypted, and private_key_passphrase is empty")
	case errors.Is(err, x509.IncorrectPasswordError):
		return nil, errors.New("private_key_passphrase: does not decrypt private_key")
	case err != nil:
		return nil, errors.New("private_key: not a PEM private key SSH can use")
	}
	return signer, nil
}

// hostKeyAlgorithms asks the server for the configured key's kind only, so
// a server with several host keys shows the one we pin rather than
// failing the check with another.
func hostKeyAlgorithms(key ssh.PublicKey) []string {
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{key.Type()}
}

// remotePath places name under dir, refusing names that would leave it.
func remotePath(dir, name string) (string, error) {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == "." || name == ".." || strings.HasPrefix(name, "../") {
		return "", fmt.Errorf("file name %q: want a clean relative path", name)
	}
	if dir == "" {
		return name, nil
	}
	return path.Join(dir, name), nil
}
