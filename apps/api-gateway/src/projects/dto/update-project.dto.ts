import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { PROJECT_NAME_MAX } from '@app/projects';
import { IsAbsentOr, IsProjectName } from './create-project.dto.js';

/** Only these fields can change; the database binding cannot (create another project). */
export class UpdateProjectDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: PROJECT_NAME_MAX })
  @IsAbsentOr()
  @IsProjectName()
  name?: string;

  @ApiPropertyOptional({ description: 'A new integration token. Write-only.', writeOnly: true })
  @IsAbsentOr()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  notionToken?: string;

  @ApiPropertyOptional({
    description: "The webhook's verification token; marks the webhook verified. Write-only.",
    writeOnly: true,
  })
  @IsAbsentOr()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  notionWebhookSecret?: string;
}
