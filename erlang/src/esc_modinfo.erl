%% Describes modules for the adapter's stack frames: source file, language, and each function's
%% line range, read from the compiled code's debug info (through esc_bp_resolve's cache).
-module(esc_modinfo).

-export([describe/1]).

-spec describe([binary()]) -> {modules, #{modules := [map()]}}.
describe(Names) ->
    {modules, #{modules => [one(binary_to_atom(N, utf8)) || N <- Names]}}.

one(M) ->
    Name = atom_to_binary(M, utf8),
    try esc_bp_resolve:minfo(M) of
        {ok, #{source := Src, lang := Lang, functions := Fs}} ->
            #{module => Name, source => Src, language => atom_to_binary(Lang, utf8),
              functions => [function(F) || #{foreign := false} = F <- Fs]};
        {error, #{message := Why}} ->
            #{module => Name, error => Why}
    catch
        Class:Reason ->
            #{module => Name, error => esc_lib:fmt("~p:~0p", [Class, Reason])}
    end.

function(#{name := F, arity := A, clauses := Cs}) ->
    Lines = [L || #{line := L} <- Cs, L > 0],
    Lasts = [L || #{last := L} <- Cs],
    #{name => atom_to_binary(F, utf8), arity => A,
      line => case Lines of [] -> 0; _ -> lists:min(Lines) end,
      last_line => case Lasts of [] -> 0; _ -> lists:max(Lasts) end}.
