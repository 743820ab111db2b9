package handlers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/contactdesk/contactdesk"

// storeImports are the packages of the database itself: the handle, SQL,
// the job queue, the instance list. No handler package imports them.
var storeImports = map[string]bool{
	"database/sql":                true,
	module + "/db":                true,
	module + "/jobs":              true,
	module + "/instances":         true,
	"github.com/riverqueue/river": true,
}

// storeNames are the stores (and what opens them) of the packages that
// also hold the services and their types. No handler names them.
var storeNames = map[string]bool{
	module + "/audit.Store": true, module + "/audit.New": true,
	module + "/index.Store": true, module + "/index.Open": true,
	module + "/bulk.Store": true, module + "/bulk.Open": true,
	module + "/change.Forms": true, module + "/change.MemoryForms": true, module + "/change.NewMemoryForms": true,
	module + "/change.PostgresForms": true, module + "/change.OpenPostgresForms": true,
}

// No handler package touches a store: pages read their data through their
// feature's service (handlers never touch a store or SQL). A file under
// handlers/ (tests aside) that imports the database's packages, names a
// store type, or reaches a service's store (x.Store), fails here (the
// tests' harness, handlers/internal/handlertest, opens the stores as the
// app does).
func TestNoHandlerPackageTouchesAStore(t *testing.T) {
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path == filepath.Join("internal", "handlertest") {
			return fs.SkipDir // the tests' harness opens the stores, as the app does
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		names := map[string]string{} // local name -> import path
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if storeImports[p] || strings.HasPrefix(p, "github.com/riverqueue/") || strings.HasPrefix(p, module+"/db/") {
				t.Errorf("%s imports %s: handlers read through services, never the database", path, p)
			}
			name := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = p
		}
		called := map[*ast.SelectorExpr]bool{} // x.Store(...) is a method (sync.Map's), not a store
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					called[sel] = true
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok {
				if p, imported := names[x.Name]; imported {
					if storeNames[p+"."+sel.Sel.Name] {
						t.Errorf("%s names %s.%s: handlers read through services, not stores", path, x.Name, sel.Sel.Name)
					}
					return true
				}
			}
			if sel.Sel.Name == "Store" && !called[sel] {
				t.Errorf("%s reaches a store (….Store): read through the feature's service", path)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("%d files read under handlers/: is the test in the right place?", files)
	}
}
