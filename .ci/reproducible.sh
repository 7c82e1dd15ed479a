#!/usr/bin/env bash
# Reproducible-build check, run by .ci/run after the tests.
#
# Copies the work tree (tracked and untracked files, not what .gitignore ignores, so no target/) into two
# directories with different paths, builds the published modules in each with `package -DskipTests`, and compares
# every jar the two builds made byte for byte: the main jar, -sources, -javadoc and lock-core's -tests. It also
# checks what Maven Central needs of each published jar module (the three jars, an Automatic-Module-Name) and that
# interlock-bom lists every published module. Your own target/ directories are not touched.
#
# The published modules are those listed in interlock-bom/pom.xml; a module of pom.xml whose POM does not set
# skipPublishing is published too and must be listed there.
#
# Usage: .ci/reproducible.sh   (from anywhere; two package builds of the published modules, run side by side)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

fail() {
    echo "reproducible.sh: $*" >&2
    exit 1
}

# The artifactId a POM declares for itself (the two-space-indented one, not its parent's or a dependency's).
artifact_id() {
    sed -n 's:^  <artifactId>\(.*\)</artifactId>.*:\1:p' "$1" | head -n 1
}

# 1. Which modules are published, and is each of them in the BOM?
mapfile -t bom_artifacts < <(sed -n '/<dependencyManagement>/,/<\/dependencyManagement>/s:.*<artifactId>\(.*\)</artifactId>.*:\1:p' \
    interlock-bom/pom.xml)
[[ ${#bom_artifacts[@]} -gt 0 ]] || fail "interlock-bom/pom.xml lists no dependency in its dependencyManagement; it must list every published module"

mapfile -t modules < <(sed -n 's:.*<module>\(.*\)</module>.*:\1:p' pom.xml)
published=()
published_artifacts=()
for module in "${modules[@]}"; do
    [[ "$module" == interlock-bom ]] && continue
    [[ -f "$module/pom.xml" ]] || fail "pom.xml lists module '$module' but $module/pom.xml does not exist"
    if grep -q '<skipPublishing>true</skipPublishing>' "$module/pom.xml"; then
        continue
    fi
    artifact="$(artifact_id "$module/pom.xml")"
    if ! printf '%s\n' "${bom_artifacts[@]}" | grep -qx "$artifact"; then
        fail "module '$module' (dev.interlock:$artifact) is published (its POM does not set skipPublishing) but interlock-bom/pom.xml does not list it: add a dependency on dev.interlock:$artifact with version \${project.version} to the BOM's dependencyManagement, or set <skipPublishing>true</skipPublishing> (and the other properties samples/pom.xml sets) if it is not meant for Maven Central"
    fi
    published+=("$module")
    published_artifacts+=("$artifact")
done
for artifact in "${bom_artifacts[@]}"; do
    printf '%s\n' "${published_artifacts[@]}" | grep -qx "$artifact" \
        || fail "interlock-bom/pom.xml lists dev.interlock:$artifact, but no published module of pom.xml has that artifactId (modules: ${modules[*]}): remove it from the BOM, or add the module"
done
modules_arg="$(IFS=,; echo "interlock-bom,${published[*]}")"

# 2. Two builds from clean copies at different paths.
work="$(mktemp -d "${TMPDIR:-/tmp}/interlock-reproducible.XXXXXX")"
trap 'rm -rf "$work"' EXIT

build() {
    local dir="$work/$1"
    mkdir -p "$dir"
    git ls-files -z --cached --others --exclude-standard \
        | tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null \
        | tar -xf - -C "$dir"
    # Spotless and the tests already ran in `./mvnw -B verify`; this build only makes the jars.
    if ! (cd "$dir" && ./mvnw -B -q -DskipTests -Dspotless.check.skip=true package -pl "$modules_arg") \
        >"$work/$1.log" 2>&1; then
        tail -n 40 "$work/$1.log" >&2
        fail "build $1 in $dir failed (last lines above): fix the build first; './mvnw -B -DskipTests package -pl $modules_arg' reproduces it"
    fi
}

# Side by side: each build is mostly one thread (the modules depend on each other in a line), and CI has two cores.
start=$SECONDS
build first &
first_pid=$!
build second &
second_pid=$!
built=0
wait "$first_pid" || built=1
wait "$second_pid" || built=1
[[ $built -eq 0 ]] || exit 1

# 3. What a release needs of each published jar module.
for module in "${published[@]}"; do
    pom="$work/first/$module/pom.xml"
    grep -q '^  <packaging>pom</packaging>' "$pom" && continue
    artifact="$(artifact_id "$pom")"
    target="$work/first/$module/target"
    main="$(find "$target" -maxdepth 1 -name "$artifact-*.jar" ! -name '*-sources.jar' ! -name '*-javadoc.jar' ! -name '*-tests.jar' | head -n 1)"
    [[ -n "$main" ]] || fail "module $module built no main jar in target/: check its packaging"
    for classifier in sources javadoc; do
        [[ -f "${main%.jar}-$classifier.jar" ]] \
            || fail "module $module built $(basename "$main") but no -$classifier jar, which Maven Central requires: the parent's maven-source-plugin and maven-javadoc-plugin make them; does $module/pom.xml skip them?"
    done
    unzip -p "$main" META-INF/MANIFEST.MF | grep -q '^Automatic-Module-Name: ' \
        || fail "$(basename "$main") has no Automatic-Module-Name in its manifest: set <interlock.module.name> (dev.interlock.<something>) in $module/pom.xml"
done

# 4. Byte for byte.
differing=0
checked=0
for module in "${published[@]}"; do
    for jar in "$work/first/$module"/target/*.jar; do
        [[ -e "$jar" ]] || continue
        name="$module/target/$(basename "$jar")"
        other="$work/second/$name"
        checked=$((checked + 1))
        if [[ ! -f "$other" ]]; then
            echo "NOT REPRODUCIBLE: $name was made by the first build only" >&2
            differing=$((differing + 1))
            continue
        fi
        cmp -s "$jar" "$other" && continue
        differing=$((differing + 1))
        echo "NOT REPRODUCIBLE: $name differs between two clean builds of the same tree:" >&2
        mkdir -p "$work/x/1" "$work/x/2"
        rm -rf "$work/x/1/"* "$work/x/2/"*
        unzip -q -o "$jar" -d "$work/x/1"
        unzip -q -o "$other" -d "$work/x/2"
        {
            diff <(cd "$work/x/1" && find . -type f | sort) <(cd "$work/x/2" && find . -type f | sort) \
                | sed -n 's|^< \./|  only in the first build: |p; s|^> \./|  only in the second build: |p' || true
            (cd "$work/x/1" && find . -type f | sort) | while read -r entry; do
                if [[ -f "$work/x/2/$entry" ]] && ! cmp -s "$work/x/1/$entry" "$work/x/2/$entry"; then
                    echo "  content differs: ${entry#./}"
                fi
            done
            # The zip metadata: entry times, order and attributes (it alone differs when every entry's bytes match).
            diff <(zipinfo -T "$jar" | tail -n +3 | sed '$d') <(zipinfo -T "$other" | tail -n +3 | sed '$d') \
                | sed -n 's|^[<>] |  entry metadata differs (time, order or attributes): |p' || true
        } >"$work/x/report"
        head -n 20 "$work/x/report" >&2
        lines=$(wc -l <"$work/x/report")
        [[ $lines -le 20 ]] || echo "  ... and $((lines - 20)) more" >&2
    done
done
for jar in "$work/second"/*/target/*.jar; do
    [[ -e "$jar" ]] || continue
    name="${jar#"$work/second/"}"
    if [[ ! -f "$work/first/$name" ]]; then
        echo "NOT REPRODUCIBLE: $name was made by the second build only" >&2
        differing=$((differing + 1))
    fi
done

[[ $checked -gt 0 ]] || fail "the builds made no jar in ${published[*]}: nothing was compared"
if [[ $differing -gt 0 ]]; then
    fail "$differing of $checked published jars differ between two builds of one commit. Usual causes: project.build.outputTimestamp removed or overridden, a plugin that writes the build time, the user or the path into a file, or entries in file-system order. Run .ci/reproducible.sh again after the fix"
fi
echo "reproducible.sh: $checked jars of ${published[*]} are byte-for-byte identical in two clean builds ($((SECONDS - start)) s)"
echo "reproducible: $checked passed, 0 failed"
