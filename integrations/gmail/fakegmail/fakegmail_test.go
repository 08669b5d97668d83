package fakegmail

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

const sample = "From: Rep <rep@example.net>\r\nTo: security@example.org\r\nSubject: =?utf-8?q?r=C3=A9sum=C3=A9?=\r\n" +
	"Date: Wed, 4 Mar 2026 10:00:00 +0000\r\nMessage-ID: <a@example.net>\r\nList-Id: <security.example.org>\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n" +
	"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=x.pdf\r\n\r\n%PDF\r\n--b--\r\n"

func get(t *testing.T, s *Server, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(s.URL(), "/") + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: not JSON: %s", path, b)
	}
	return resp.StatusCode, v
}

func TestResponseShape(t *testing.T) {
	s := New()
	defer s.Close()
	id := s.AddMessage([]byte(sample), "")
	tests := []struct {
		name, path string
		status     int
		check      func(t *testing.T, v map[string]any)
	}{
		{"full message", "/gmail/v1/users/me/messages/" + id + "?format=full", 200, func(t *testing.T, v map[string]any) {
			if v["internalDate"] != "1772618400000" || v["threadId"] != id || v["historyId"] == nil || v["sizeEstimate"] == nil {
				t.Errorf("message fields = %v", v)
			}
			p := v["payload"].(map[string]any)
			parts := p["parts"].([]any)
			if p["mimeType"] != "multipart/mixed" || len(parts) != 2 {
				t.Fatalf("payload = %v", p)
			}
			text := parts[0].(map[string]any)
			if text["partId"] != "0" || text["body"].(map[string]any)["data"] != "aGVsbG8=" {
				t.Errorf("text part = %v", text)
			}
			att := parts[1].(map[string]any)["body"].(map[string]any)
			if att["attachmentId"] == nil || att["data"] != nil || parts[1].(map[string]any)["filename"] != "x.pdf" {
				t.Errorf("attachment part = %v", parts[1])
			}
		}},
		{"metadata keeps only the asked headers", "/gmail/v1/users/me/threads/" + id + "?format=metadata&metadataHeaders=Subject&metadataHeaders=Message-ID", 200, func(t *testing.T, v map[string]any) {
			m := v["messages"].([]any)[0].(map[string]any)
			hs := m["payload"].(map[string]any)["headers"].([]any)
			if len(hs) != 2 || m["payload"].(map[string]any)["parts"] != nil {
				t.Errorf("headers = %v", hs)
			}
		}},
		{"minimal has no payload", "/gmail/v1/users/me/threads/" + id + "?format=minimal", 200, func(t *testing.T, v map[string]any) {
			if v["messages"].([]any)[0].(map[string]any)["payload"] != nil {
				t.Error("payload present")
			}
		}},
		{"list with supported query", "/gmail/v1/users/me/threads?q=list:security.example.org+-from:noreply@github.com+after:2026/03/04", 200, func(t *testing.T, v map[string]any) {
			if v["resultSizeEstimate"].(float64) != 1 || len(v["threads"].([]any)) != 1 {
				t.Errorf("list = %v", v)
			}
		}},
		{"window excludes", "/gmail/v1/users/me/threads?q=after:2026/03/05", 200, func(t *testing.T, v map[string]any) {
			if v["threads"] != nil {
				t.Errorf("list = %v", v)
			}
		}},
		{"unsupported operator is refused", "/gmail/v1/users/me/threads?q=newer_than:7d", 400, nil},
		{"free text is refused", "/gmail/v1/users/me/threads?q=hello", 400, nil},
		{"unknown thread", "/gmail/v1/users/me/threads/ffff", 404, nil},
		{"no send endpoint", "/gmail/v1/users/me/messages/send", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := get(t, s, tt.path)
			if code != tt.status {
				t.Fatalf("status %d, want %d: %v", code, tt.status, v)
			}
			if code >= 400 {
				if e, ok := v["error"].(map[string]any); !ok || e["code"].(float64) != float64(code) {
					t.Errorf("error body = %v", v)
				}
				return
			}
			tt.check(t, v)
		})
	}
}

func TestFailNextIsOneShot(t *testing.T) {
	s := New()
	defer s.Close()
	s.FailNext(http.MethodGet, "/threads", 503)
	if code, _ := get(t, s, "/gmail/v1/users/me/threads"); code != 503 {
		t.Fatalf("first call %d, want 503", code)
	}
	if code, _ := get(t, s, "/gmail/v1/users/me/threads"); code != 200 {
		t.Fatalf("second call %d, want 200", code)
	}
	if s.Requests() != 2 {
		t.Errorf("Requests = %d", s.Requests())
	}
}
