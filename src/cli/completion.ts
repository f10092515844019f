/** Shell completion scripts for bash and zsh, generated from the CLI's own definition (so they never drift). */
import type { Command } from 'commander';

interface Verb {
  readonly path: string;
  readonly options: readonly string[];
}

function verbs(program: Command, prefix = ''): Verb[] {
  return program.commands.flatMap((c) => {
    const path = `${prefix}${c.name()}`;
    const options = c.options.flatMap((o) => [o.long, o.short].filter((x): x is string => typeof x === 'string'));
    return [{ path, options: [...options, '--help'] }, ...verbs(c, `${path} `)];
  });
}

export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const all = verbs(program).filter((v) => v.path !== 'help');
  const top = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
  const children = (v: Verb): string[] =>
    all
      .filter((x) => x.path.startsWith(`${v.path} `) && !x.path.slice(v.path.length + 1).includes(' '))
      .map((x) => x.path.slice(v.path.length + 1));
  const cases = all.map((v) => `      "${v.path}") opts="${[...children(v), ...v.options].join(' ')}"; break ;;`).join('\n');
  const bash = `# imagestreams completion for bash: source <(imagestreams completion bash)
_imagestreams() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts="${top.join(' ')} --help --version" w i
  local -a words=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] || words+=("$w")
  done
  for ((i = \${#words[@]}; i > 0; i--)); do
    case "\${words[*]:0:i}" in
${cases}
    esac
  done
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -o default -F _imagestreams imagestreams
`;
  if (shell === 'bash') return bash;
  return `#compdef imagestreams
# imagestreams completion for zsh: source <(imagestreams completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash}`;
}
