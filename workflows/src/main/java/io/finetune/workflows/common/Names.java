package io.finetune.workflows.common;

import java.util.regex.Pattern;

/**
 * The one rule for names that become part of ids and paths: pipeline and model names, eval-set
 * names. Short, lowercase and URL-safe, so that they read well in workflow ids and the registry.
 */
public final class Names {
  public static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

  /** How a valid name looks, for error messages. */
  public static final String RULE = "1-40 lowercase letters, digits or '-'";

  private Names() {}

  public static boolean isValid(String name) {
    return name != null && VALID.matcher(name).matches();
  }
}
