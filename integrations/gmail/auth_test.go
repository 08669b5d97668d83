package gmail_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/gmail"
)

const (
	secret  = "s3cr3t-client-secret-value"
	refresh = "1//refresh-token-value"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHTTPClientFromTokenFileErrors(t *testing.T) {
	tests := []struct {
		name, content, errSub string
	}{
		{"missing refresh token", `{"client_id":"id","client_secret":"` + secret + `"}`, "lacks refresh_token"},
		{"missing client fields", `{"refresh_token":"` + refresh + `"}`, "lacks client_id, client_secret"},
		{"not JSON", `{"client_secret":"` + secret + `", oops`, "not valid JSON"},
		{"wrong shape", `{"client_secret":["` + secret + `"]}`, "authorized-user shape"},
		{"wrong type", `{"type":"service_account","client_id":"id","client_secret":"` + secret + `","refresh_token":"` + refresh + `"}`, "want authorized_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gmail.HTTPClientFromTokenFile(context.Background(), writeFile(t, tt.content))
			if err == nil || !strings.Contains(err.Error(), tt.errSub) {
				t.Fatalf("err = %v, want %q", err, tt.errSub)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), refresh) {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
	if _, err := gmail.HTTPClientFromTokenFile(context.Background(), filepath.Join(t.TempDir(), "absent.json")); err == nil {
		t.Error("absent file: want error")
	}
}

func TestHTTPClientFromTokenFileAuthorises(t *testing.T) {
	var gotAuth []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
	}))
	defer api.Close()
	var tokenForm []string
	tokenOK := true
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		tokenForm = append(tokenForm, r.PostForm.Get("grant_type")+" "+r.PostForm.Get("client_id")+" "+r.PostForm.Get("refresh_token"))
		w.Header().Set("Content-Type", "application/json")
		if !tokenOK {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "fresh-token", "token_type": "Bearer", "expires_in": 3600})
	}))
	defer tokens.Close()

	tests := []struct {
		name     string
		cred     map[string]any
		tokenOK  bool
		wantAuth string
		wantErr  bool
	}{
		{
			name:     "valid access token used as is",
			cred:     map[string]any{"client_id": "id", "client_secret": secret, "refresh_token": refresh, "access_token": "still-good", "expiry": time.Now().Add(time.Hour), "token_uri": tokens.URL},
			tokenOK:  true,
			wantAuth: "Bearer still-good",
		},
		{
			name:     "no access token: refreshed through token_uri",
			cred:     map[string]any{"type": "authorized_user", "client_id": "id", "client_secret": secret, "refresh_token": refresh, "token_uri": tokens.URL},
			tokenOK:  true,
			wantAuth: "Bearer fresh-token",
		},
		{
			name:    "refresh refused: error without secrets",
			cred:    map[string]any{"client_id": "id", "client_secret": secret, "refresh_token": refresh, "token_uri": tokens.URL},
			tokenOK: false,
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotAuth, tokenForm, tokenOK = nil, nil, tt.tokenOK
			b, _ := json.Marshal(tt.cred)
			c, err := gmail.HTTPClientFromTokenFile(context.Background(), writeFile(t, string(b)))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(api.URL)
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatal("want error")
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), refresh) {
					t.Fatalf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if len(gotAuth) != 1 || gotAuth[0] != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", gotAuth, tt.wantAuth)
			}
			if tt.wantAuth == "Bearer fresh-token" && (len(tokenForm) != 1 || tokenForm[0] != "refresh_token id "+refresh) {
				t.Errorf("token request = %q", tokenForm)
			}
		})
	}
}
